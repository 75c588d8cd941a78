// The README tells the truth: every ```text block marked `<!-- doctest -->`
// is run, in order, in one fresh directory (so `./.vnvdimm` is a new default
// host), and each command's output must be what the README shows.
//
// A block is a sequence of `$ command` lines, each followed by the output it
// prints (stdout and stderr together). `vnvdimm` is this checkout's
// bin/vnvdimm. `$ cat FILE` is how the README shows an input file: the test
// writes FILE with the lines shown, then runs cat like any other command.
// UUIDs and times are normalised; nothing else is.
//
// After an intended change: `npm run build && VNVDIMM_UPDATE_README=1 node
// scripts/run-tests.mjs test/docs` rewrites the marked blocks for review.
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const ROOT = join(dirname(fileURLToPath(import.meta.url)), "..", "..", "..");
const README = join(ROOT, "README.md");
const MARK = "<!-- doctest -->";

interface Step { command: string; expected: string[] }
interface Block { start: number; end: number; steps: Step[] }

/** The marked blocks: [start, end) are the line indexes of their bodies. */
function blocks(lines: string[]): Block[] {
  const out: Block[] = [];
  for (let i = 0; i < lines.length; i++) {
    if (lines[i]!.trim() !== MARK) continue;
    assert.equal(lines[i + 1], "```text", `README line ${i + 2}: a doctest mark must precede a \`\`\`text block`);
    const start = i + 2;
    let end = start;
    while (lines[end] !== "```") end++;
    const steps: Step[] = [];
    for (const l of lines.slice(start, end)) {
      if (l.startsWith("$ ")) steps.push({ command: l.slice(2), expected: [] });
      else {
        assert.ok(steps.length, `README line ${start + 1}: a doctest block starts with a $ command`);
        steps[steps.length - 1]!.expected.push(l);
      }
    }
    out.push({ start, end, steps });
  }
  return out;
}

const normalise = (text: string) => text
  .replace(/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/g, "<uuid>")
  .replace(/\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z/g, "<time>")
  .split("\n").map((l) => l.trimEnd());

/** Output lines without the blank line that separates one step from the next. */
function trimBlank(lines: string[]): string[] {
  const l = [...lines];
  while (l.length && l[l.length - 1] === "") l.pop();
  return l;
}

test("every marked README block prints what the README shows", { timeout: 300_000 }, () => {
  const text = readFileSync(README, "utf8");
  const lines = text.split("\n");
  const found = blocks(lines);
  assert.ok(found.length >= 3, "the walk-through is marked");
  const cwd = mkdtempSync(join(tmpdir(), "vnvdimm-readme-"));
  // The README's inspect examples read the checkout's samples/ by a relative path.
  symlinkSync(join(ROOT, "samples"), join(cwd, "samples"));
  const shim = join(cwd, ".bin");
  mkdirSync(shim);
  writeFileSync(join(shim, "vnvdimm"), `#!/bin/sh\nexec "${process.execPath}" "${join(ROOT, "bin", "vnvdimm")}" "$@"\n`);
  chmodSync(join(shim, "vnvdimm"), 0o755);
  const env: NodeJS.ProcessEnv = { ...process.env, PATH: `${shim}:${process.env["PATH"] ?? ""}`, COLUMNS: "80" };
  delete env["VNVDIMM_STATE"];

  const update = process.env["VNVDIMM_UPDATE_README"] === "1";
  const rewritten = [...lines];
  const results: { block: Block; body: string[] }[] = [];
  for (const b of found) {
    const body: string[] = [];
    for (const [i, s] of b.steps.entries()) {
      const file = /^cat (\S+)$/.exec(s.command)?.[1];
      if (file) writeFileSync(join(cwd, file), trimBlank(s.expected).join("\n") + "\n");
      const r = spawnSync("bash", ["-c", `${s.command} 2>&1`], { cwd, env, encoding: "utf8" });
      const actual = trimBlank(normalise(r.stdout));
      const same = JSON.stringify(actual) === JSON.stringify(trimBlank(normalise(s.expected.join("\n"))));
      // An update keeps what still matches (its UUIDs too) and takes the new output where it changed.
      body.push(`$ ${s.command}`, ...(update && !same ? trimBlank(r.stdout.split("\n").map((l) => l.trimEnd())) : trimBlank(s.expected)));
      if (i < b.steps.length - 1) body.push("");
      if (!update && !same) assert.deepEqual(actual, trimBlank(normalise(s.expected.join("\n"))), `README line ${b.start}: \`${s.command}\` printed something else`);
    }
    results.push({ block: b, body });
  }
  if (update) {
    // Later blocks first, so that the line numbers of earlier ones stay valid.
    for (const { block, body } of results.reverse()) rewritten.splice(block.start, block.end - block.start, ...body);
    writeFileSync(README, rewritten.join("\n"));
  }
});
