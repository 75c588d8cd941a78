// What a CLI verb loads before it does anything (docs/CONTRIBUTING.md,
// "Start-up"): commander, the command definitions and the daemon client,
// never the route table's schemas, the command objects or the toolstack.
// A verb that runs in its own process imports those when it runs.
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { existsSync, readFileSync, rmSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { startDaemon, tempDir } from "../api/daemon.js";

const DIST = join(dirname(fileURLToPath(import.meta.url)), "..", "..");
const MAIN = join(DIST, "src", "cli", "main.js");
const BUNDLE = join(DIST, "cli", "main.cjs");

/** Every module of dist/src that main.js imports statically, and the packages it imports (tsc drops type-only imports). */
function staticClosure(entry: string): { files: string[]; packages: string[] } {
  const files = new Set<string>(), packages = new Set<string>();
  const visit = (file: string) => {
    if (files.has(file)) return;
    files.add(file);
    const code = readFileSync(file, "utf8");
    for (const m of code.matchAll(/^(?:import|export)\b[^;]*?\bfrom\s*"([^"]+)";|^import\s*"([^"]+)";/gms)) {
      const spec = (m[1] ?? m[2])!;
      if (spec.startsWith(".")) visit(resolve(dirname(file), spec));
      else packages.add(spec);
    }
  };
  visit(entry);
  return { files: [...files].map((f) => relative(join(DIST, "src"), f)).sort(), packages: [...packages].sort() };
}

/** The modules outside src/cli that start-up may load: each imports nothing heavy. */
const LIGHT = ["api/client.js", "api/daemon-info.js", "api/errors.js", "api/json.js", "api/read-file.js", "api/verbs.js", "api/version.js", "formats/units.js", "host/host-error.js", "host/state-dir.js"];

test("the CLI imports at start-up only itself, commander and a few leaf modules", () => {
  const { files, packages } = staticClosure(MAIN);
  assert.deepEqual(files.filter((f) => !f.startsWith("cli/")), LIGHT);
  assert.deepEqual(packages.filter((p) => !p.startsWith("node:")), ["commander"]);
  // node:crypto alone loads some fifteen modules of Node's own.
  assert.ok(!packages.includes("node:crypto"), "node:crypto at start-up");
});

test("a verb a daemon serves loads nothing but the bundle's first file", { timeout: 120_000 }, async () => {
  assert.ok(existsSync(BUNDLE), "dist/cli/main.cjs is missing: `npm run build` builds it");
  const dir = tempDir("startup");
  const state = join(dir, "state");
  const daemon = await startDaemon(state, ["--init"]);
  try {
    const probe = `const m = require(${JSON.stringify(BUNDLE)}); let out = "";
      m.run(["list", "--state", ${JSON.stringify(state)}], { out: (t) => { out += t; }, err: (t) => { out += t; } })
        .then((code) => console.log(JSON.stringify({ code, out, modules: Object.keys(require.cache), builtins: process.moduleLoadList })));`;
    const r = spawnSync(process.execPath, ["-e", probe], { encoding: "utf8" });
    assert.equal(r.status, 0, r.stderr);
    const seen = JSON.parse(r.stdout) as { code: number; out: string; modules: string[]; builtins: string[] };
    assert.equal(seen.code, 0, seen.out);
    assert.match(seen.out, /no domains/);
    // Run here, the verb would have loaded the chunks with the route table and the toolstack.
    assert.deepEqual(seen.modules, [BUNDLE]);
    for (const b of ["NativeModule child_process", "NativeModule crypto"]) assert.ok(!seen.builtins.includes(b), `${b} was loaded`);
  } finally {
    await daemon.stop();
    rmSync(dir, { recursive: true, force: true });
  }
});

test("--version and completion stay cheap: no chunk of the API, the server or the toolstack", { timeout: 60_000 }, () => {
  assert.ok(existsSync(BUNDLE), "dist/cli/main.cjs is missing: `npm run build` builds it");
  for (const argv of [["--version"], ["-V", "--json"], ["completion", "bash"], ["completion", "fish"]]) {
    const probe = `const m = require(${JSON.stringify(BUNDLE)}); let out = "";
      m.run(${JSON.stringify(argv)}, { out: (t) => { out += t; }, err: (t) => { out += t; } })
        .then((code) => console.log(JSON.stringify({ code, out, modules: Object.keys(require.cache), builtins: process.moduleLoadList })));`;
    const r = spawnSync(process.execPath, ["-e", probe], { encoding: "utf8" });
    assert.equal(r.status, 0, r.stderr);
    const seen = JSON.parse(r.stdout) as { code: number; out: string; modules: string[]; builtins: string[] };
    assert.equal(seen.code, 0, seen.out);
    const chunks = seen.modules.filter((m) => m !== BUNDLE).map((m) => relative(dirname(BUNDLE), m));
    assert.deepEqual(chunks.map((c) => c.replace(/-[\w-]{8}\.cjs$/, "")), argv[0] === "completion" ? ["completion"] : [], `${argv.join(" ")} loaded ${chunks.join(", ")}`);
    for (const b of ["NativeModule child_process", "NativeModule crypto"]) assert.ok(!seen.builtins.includes(b), `${argv.join(" ")}: ${b} was loaded`);
  }
});
