// The package a user installs (README "Install"): `npm pack` of the built
// tree, installed with `npm i -g` into a temporary prefix as a user would,
// then run from there. It holds what runs and nothing else: no tests, no
// sources, no source maps (which name this machine's paths), no dev
// dependencies once installed. fs-ext, the one runtime dependency, is a
// native addon that node-gyp builds at install. The tree is the one
// `npm test` has just built, so the pack runs without its prepack build.
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync, type SpawnSyncOptions } from "node:child_process";
import { existsSync, readdirSync, readFileSync, realpathSync, rmSync, statSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { tempDir } from "../api/daemon.js";

const ROOT = join(dirname(fileURLToPath(import.meta.url)), "..", "..", "..");
const PKG = JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8")) as { version: string; dependencies: Record<string, string>; scripts: Record<string, string> };

/** npm as a user runs it: none of the npm_* settings of an `npm test` around this test. */
function npmEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!/^npm_/i.test(k)) env[k] = v;
  return { ...env, NO_UPDATE_NOTIFIER: "1" };
}

function sh(cmd: string, args: string[], opts: SpawnSyncOptions = {}): string {
  const r = spawnSync(cmd, args, { encoding: "utf8", env: npmEnv(), timeout: 120_000, ...opts });
  assert.equal(r.status, 0, `${cmd} ${args.join(" ")}: ${r.error?.message ?? ""}\n${String(r.stderr)}`);
  return String(r.stdout);
}

const ALLOWED = [/^package\.json$/, /^README\.md$/, /^LICENSE$/, /^bin\/(vnvdimm|package\.json)$/, /^dist\/cli\/[\w-]+\.cjs$/,
  /^dist\/web\/(index\.html|assets\/[\w-]+\.(js|css))$/, /^dist\/src\/backends\/qemu\/guest\/(init|agent\.sh|daxio\.pl)$/, /^contrib\/vnvdimm\.service$/];

test("npm pack: the tarball holds bin/, the built CLI and dashboard, the guest files and the unit, and nothing else", { timeout: 120_000 }, () => {
  assert.match(PKG.scripts["prepack"] ?? "", /npm run build/, "npm pack builds dist/ first");
  assert.ok(existsSync(join(ROOT, "dist", "cli", "main.cjs")), "dist/cli/main.cjs is missing: `npm run build` builds it");
  const dir = tempDir("pack");
  try {
    const [packed] = JSON.parse(sh("npm", ["pack", "--ignore-scripts", "--json", "--pack-destination", dir], { cwd: ROOT })) as
      { filename: string; size: number; unpackedSize: number; files: { path: string }[] }[];
    const files = packed!.files.map((f) => f.path).sort();
    for (const f of files) assert.ok(ALLOWED.some((re) => re.test(f)), `${f} does not belong in the package`);
    for (const f of ["bin/vnvdimm", "dist/cli/main.cjs", "dist/web/index.html", "dist/src/backends/qemu/guest/init", "dist/src/backends/qemu/guest/agent.sh",
      "dist/src/backends/qemu/guest/daxio.pl", "contrib/vnvdimm.service", "README.md"]) assert.ok(files.includes(f), `${f} is missing`);
    assert.ok(packed!.size < 2 * 2 ** 20, `${packed!.size} bytes packed`);

    // No file names this checkout, nor points at a source map it does not ship.
    sh("tar", ["-xzf", join(dir, packed!.filename), "-C", dir]);
    const here = [ROOT, realpathSync(ROOT), realpathSync(join(ROOT, "node_modules"))];
    for (const f of files) {
      const text = readFileSync(join(dir, "package", f), "latin1");
      for (const p of here) assert.ok(!text.includes(p), `${f} names ${p}`);
      assert.doesNotMatch(text, /sourceMappingURL=/, `${f} points at a source map`);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("npm i -g of the tarball into an empty prefix: a working vnvdimm with its runtime dependencies alone", { timeout: 180_000 }, () => {
  const dir = tempDir("install");
  try {
    const [packed] = JSON.parse(sh("npm", ["pack", "--ignore-scripts", "--json", "--pack-destination", dir], { cwd: ROOT })) as { filename: string }[];
    const prefix = join(dir, "prefix");
    // --prefer-offline: fs-ext and nan come from npm's cache, which `npm ci` filled, when they are there.
    sh("npm", ["install", "--global", "--prefix", prefix, "--prefer-offline", "--no-audit", "--no-fund", "--loglevel=error", join(dir, packed!.filename)], { cwd: dir });
    const bin = join(prefix, "bin", "vnvdimm");
    const pkgDir = join(prefix, "lib", "node_modules", "vnvdimm");
    assert.ok(statSync(bin).isFile());

    // Only the runtime dependencies, and fs-ext's addon built for this Node.
    const installed = readdirSync(join(pkgDir, "node_modules")).filter((n) => !n.startsWith(".")).sort();
    assert.deepEqual(installed, [...Object.keys(PKG.dependencies), "nan"].sort());
    sh(process.execPath, ["-e", `require(${JSON.stringify(join(pkgDir, "node_modules", "fs-ext"))}).flock`]);

    const run = (...args: string[]) => sh(bin, args, { cwd: dir });
    assert.equal(run("--version").trim(), PKG.version);
    assert.deepEqual(JSON.parse(run("-V", "--json")), { name: "vnvdimm", version: PKG.version });
    const labels = JSON.parse(run("inspect", "labels", join(ROOT, "samples", "s2-v1.2-labels.bin"), "--label-area", "--json")) as { valid: boolean };
    assert.equal(labels.valid, true);
    assert.match(run("inspect", "acpi", join(ROOT, "samples", "qemu-one-dimm.NFIT.bin")), /NFIT revision 1/);
    assert.match(run("completion", "bash"), /complete -F _vnvdimm vnvdimm/);
    // The qemu backend's guest files (`vnvdimm setup qemu` puts them in the guest image), where
    // guest-files.ts looks from the bundle: "./guest/" beside its compiled file's URL.
    const chunks = readdirSync(join(pkgDir, "dist", "cli")).map((f) => readFileSync(join(pkgDir, "dist", "cli", f), "utf8"));
    assert.ok(chunks.some((c) => c.includes(`"../src/backends/qemu/guest-files.js"`) && c.includes(`"./guest/"`)), "guest-files.ts moved: check where the package keeps the guest files");
    for (const f of ["init", "agent.sh", "daxio.pl"]) assert.ok(existsSync(join(pkgDir, "dist", "src", "backends", "qemu", "guest", f)), f);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
