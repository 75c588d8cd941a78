// Ten CLI writers at once on one state directory, with no daemon running:
// every command either succeeds or is refused in one line, no extent is owned
// twice, and what a command reported as created is what the ledger holds.
// (A pid-file lock let two `create`s take the same pages.) Each command works
// in its own process (VNVDIMM_NO_AUTOSTART=1), so that the toolstack lock is
// what keeps them apart; test/e2e/autostart.test.ts races ten of them that
// start the living host instead.
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawn, spawnSync } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { readLedger } from "../../src/toolstack/index.js";

const bin = join(dirname(fileURLToPath(import.meta.url)), "..", "..", "..", "bin", "vnvdimm");

interface Run { args: string[]; code: number | null; out: string; err: string }

function vnv(...args: string[]): Promise<Run> {
  return new Promise((resolve) => {
    const c = spawn(process.execPath, [bin, ...args], { stdio: ["ignore", "pipe", "pipe"], env: { ...process.env, VNVDIMM_NO_AUTOSTART: "1" } });
    let out = "", err = "";
    c.stdout.on("data", (b: Buffer) => { out += b.toString(); });
    c.stderr.on("data", (b: Buffer) => { err += b.toString(); });
    c.on("close", (code) => resolve({ args, code, out, err }));
  });
}

/** The smfn of each vNVDIMM a `create` printed in its table. */
function createdSmfns(out: string): number[] {
  return [...out.matchAll(/^\s+\S+\s+\d+\s+(0x[0-9a-f]+)\s/gm)].map((m) => Number(m[1]));
}

test("10 parallel CLI writers, 10 rounds: no extent owned twice, nothing lost, every refusal one line", { timeout: 600_000 }, async () => {
  const dir = mkdtempSync(join(tmpdir(), "vnvdimm-parallel-"));
  const spec = join(dir, "m.json");
  writeFileSync(spec, JSON.stringify({ name: "p", sockets: [{ node: 0, ram: "1G" }, { node: 1, ram: "1G" }], nvdimms: [{ node: 0, size: "2G" }, { node: 1, size: "2G" }] }));
  const state = join(dir, "s");
  for (const args of [["host", "init", "--spec", spec], ["pmem", "reserve", "--dimm", "0"], ["pmem", "reserve", "--dimm", "1"]]) {
    const r = spawnSync(process.execPath, [bin, ...args, "--state", state], { encoding: "utf8", env: { ...process.env, VNVDIMM_NO_AUTOSTART: "1" } });
    assert.equal(r.status, 0, r.stderr);
  }
  const cfg = (n: string) => {
    const p = join(dir, `${n}.cfg`);
    writeFileSync(p, `name = "${n}"\nmemory = 256\nvnvdimms = [ 'size=32M, namespace=fsdax:d', 'size=16M' ]\n`);
    return p;
  };
  const alive = new Map<string, number[]>();
  let previous: string[] = [];
  for (let round = 0; round < 10; round++) {
    const names = Array.from({ length: 7 }, (_, i) => `r${round}d${i}`);
    // Seven creates, and three destroys of the last round's domains, all at once.
    const doomed = previous.slice(0, 3);
    const runs = await Promise.all([
      ...names.map((n) => vnv("create", cfg(n), "--state", state)),
      ...doomed.map((n) => vnv("destroy", n, "--state", state)),
    ]);
    for (const r of runs) {
      assert.ok(r.code === 0 || r.code === 1, `${r.args.join(" ")}: exit ${r.code}\n${r.err}`);
      if (r.code !== 0) {
        assert.equal(r.err.trim().split("\n").filter((l) => !l.startsWith("  hint:")).length, 1, `one line: ${r.err}`);
        assert.doesNotMatch(r.err, /\n\s+at /, "no stack trace");
      }
    }
    for (const r of runs) if (r.code !== 0) console.log(`refused: ${r.args[0]} ${r.err.trim()}`);
    for (const [i, n] of names.entries()) {
      const r = runs[i]!;
      if (r.code === 0) alive.set(n, createdSmfns(r.out));
    }
    // Deletes of the destroyed ones, in parallel with nothing but each other.
    const deleted = await Promise.all(doomed.map((n) => vnv("delete", n, "--state", state)));
    for (const r of deleted) assert.equal(r.code, 0, r.err);
    for (const n of doomed) alive.delete(n);
    previous = names.filter((n) => alive.has(n));

    const l = readLedger(state);
    assert.deepEqual(l.domains.map((d) => d.name).sort(), [...alive.keys()].sort(), `round ${round}: the ledger holds exactly the domains that were created and not deleted`);
    for (const d of l.domains) {
      assert.deepEqual(d.extents.map((e) => e.smfn), alive.get(d.name), `${d.name}: the pages create reported are the ledger's`);
      assert.ok(d.extents.every((e) => e.state === "held"));
    }
    const extents = l.domains.flatMap((d) => d.extents.map((e) => [e.smfn, e.smfn + e.nrPages, d.name] as const)).sort((a, b) => a[0] - b[0]);
    for (let i = 1; i < extents.length; i++) {
      assert.ok(extents[i - 1]![1] <= extents[i]![0], `round ${round}: ${extents[i - 1]![2]} and ${extents[i]![2]} share pages`);
    }
  }
  assert.ok(alive.size >= 40, "most creates succeeded");
});
