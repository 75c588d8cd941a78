// image= at scale, through the real CLI process: a 4 GiB sparse image is
// provisioned with bounded memory, the host DIMM file grows by the image's
// data and not by 4 GiB, and the guest reads the image's bytes back where
// they were. A copy that fails part way, or a kill -9 in the middle of it,
// leaves neither labels nor pages.
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { closeSync, existsSync, mkdtempSync, openSync, readFileSync, statSync, truncateSync, writeFileSync, writeSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { listDomains } from "../../src/toolstack/index.js";

const bin = join(dirname(fileURLToPath(import.meta.url)), "..", "..", "..", "bin", "vnvdimm");
const MiB = 1 << 20;
const GiB = 1024 * MiB;

/** Runs the CLI; `maxRssKiB` is its peak RSS (getrusage at exit, as VmHWM), through a preload that writes it to a file. */
/** The CLI doing the work in its own process (no background host), so that its RSS and a crash point are the work's. */
function vnv(dir: string, env: Record<string, string>, ...args: string[]): { status: number | null; signal: string | null; stdout: string; stderr: string; maxRssKiB: number; seconds: number } {
  const preload = join(dir, "rss.cjs");
  const out = join(dir, "rss.txt");
  if (!existsSync(preload)) writeFileSync(preload, `process.on("exit", () => require("node:fs").writeFileSync(${JSON.stringify(out)}, String(process.resourceUsage().maxRSS)));\n`);
  writeFileSync(out, "0");
  const t0 = process.hrtime.bigint();
  const r = spawnSync(process.execPath, ["-r", preload, bin, ...args], { encoding: "utf8", env: { ...process.env, VNVDIMM_NO_AUTOSTART: "1", ...env } });
  const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
  return { status: r.status, signal: r.signal, stdout: r.stdout, stderr: r.stderr, maxRssKiB: Number(readFileSync(out, "utf8")), seconds };
}

/** An 8 GiB host DIMM (a sparse file), reserved. */
function bigHost(): { dir: string; state: string; dimm: string; cfg: (name: string, image: string) => string } {
  const dir = mkdtempSync(join(tmpdir(), "vnvdimm-imgstream-"));
  const spec = join(dir, "m.json");
  writeFileSync(spec, JSON.stringify({ name: "big", sockets: [{ node: 0, ram: "1G" }], nvdimms: [{ node: 0, size: "8G" }] }));
  const state = join(dir, "s");
  assert.equal(vnv(dir, {}, "host", "init", "--state", state, "--spec", spec).status, 0);
  assert.equal(vnv(dir, {}, "pmem", "reserve", "--dimm", "0", "--state", state).status, 0);
  const cfg = (name: string, image: string) => {
    const p = join(dir, `${name}.cfg`);
    writeFileSync(p, `name = "${name}"\nmemory = 256\nvnvdimms = [ 'size=4400M, namespace=fsdax:fs, image=${image}' ]\n`);
    return p;
  };
  return { dir, state, dimm: join(state, "host", "nvdimm0.img"), cfg };
}

/** A sparse file of `size` with `pieces` written at their offsets. */
function sparseImage(path: string, size: number, pieces: readonly [number, Buffer][]): void {
  writeFileSync(path, "");
  truncateSync(path, size);
  const fd = openSync(path, "r+");
  for (const [at, b] of pieces) writeSync(fd, b, 0, b.length, at);
  closeSync(fd);
}

const blocksBytes = (p: string) => Number(statSync(p, { bigint: true }).blocks) * 512;

test("a 4 GiB sparse image: peak RSS at most 100 MiB, the DIMM file grows by its data only, and the guest reads it back at every offset", () => {
  const { dir, state, dimm, cfg } = bigHost();
  const image = join(dir, "disk.img");
  const pieces: [number, Buffer][] = [[0, randomBytes(2 * MiB)], [GiB + 123, randomBytes(5000)], [3000 * MiB, randomBytes(MiB)], [4 * GiB - 8, Buffer.from("MARK-END")]];
  sparseImage(image, 4 * GiB, pieces);
  const before = blocksBytes(dimm);
  const r = vnv(dir, {}, "create", cfg("big", image), "--state", state);
  assert.equal(r.status, 0, r.stderr);
  const grown = blocksBytes(dimm) - before;
  process.stderr.write(`# 4 GiB sparse image: ${r.seconds.toFixed(2)} s, peak RSS ${(r.maxRssKiB / 1024).toFixed(1)} MiB, DIMM file +${(grown / MiB).toFixed(2)} MiB (image holds ${(blocksBytes(image) / MiB).toFixed(2)} MiB)\n`);
  assert.ok(r.maxRssKiB <= 100 * 1024, `peak RSS ${r.maxRssKiB} KiB`);
  assert.ok(grown <= blocksBytes(image) + 2 * MiB, `the DIMM file grew by ${grown} bytes for an image holding ${blocksBytes(image)}`);
  for (const [at, bytes] of pieces) {
    const read = spawnSync(process.execPath, [bin, "guest", "read", "big", "fs", String(at), String(bytes.length), "--state", state], { maxBuffer: 4 * MiB });
    assert.equal(read.status, 0, read.stderr.toString());
    assert.ok(read.stdout.equals(bytes), `the guest reads the image's bytes at ${at}`);
  }
  const hole = spawnSync(process.execPath, [bin, "guest", "read", "big", "fs", String(2 * GiB), "4096", "--state", state]);
  assert.ok(hole.stdout.length === 4096 && hole.stdout.every((b) => b === 0), "a hole of the image reads as zeros");
});

test("an image past the namespace's data area (5 GiB into 4400 MiB) is refused in one line, sizes in MiB, nothing allocated", () => {
  const { dir, state, dimm, cfg } = bigHost();
  const image = join(dir, "huge.img");
  sparseImage(image, 5 * GiB, [[0, Buffer.from("x")]]);
  const before = blocksBytes(dimm);
  const r = vnv(dir, {}, "create", cfg("huge", image), "--state", state);
  assert.equal(r.status, 1, r.stderr);
  assert.match(r.stderr, /^vnvdimm: Image .*huge\.img is 5368709120 bytes, larger than the \d+-byte data area of its namespace \(5120 MiB > 43\d\d(\.\d)? MiB\)\n {2}hint: use a smaller image, or size=5216M or more \(/);
  assert.deepEqual(listDomains(state).domains, []);
  assert.equal(blocksBytes(dimm), before);
});

test("an image that ends early (it changed under the copy) is refused after its pages were written: no domain, no labels, the pages zeroed and free", () => {
  const { dir, state, dimm, cfg } = bigHost();
  // A sysfs attribute: a regular file whose fstat says 4096 bytes and whose read ends sooner.
  const sys = ["/sys/kernel/mm/transparent_hugepage/enabled", "/sys/kernel/profiling", "/sys/power/state"].find((p) => existsSync(p) && statSync(p).isFile() && statSync(p).size === 4096);
  if (!sys) return;
  const before = blocksBytes(dimm);
  const r = vnv(dir, {}, "create", cfg("short", sys), "--state", state);
  assert.equal(r.status, 1, r.stderr);
  assert.match(r.stderr, /^vnvdimm: Image \S+ changed while it was copied: it ends at byte \d+, not 4096\n {2}hint: [^\n]*nothing was labelled, and the pages were zeroed and freed\n$/);
  const l = listDomains(state);
  assert.deepEqual([l.domains, l.released, l.orphans], [[], [], []]);
  assert.equal(blocksBytes(dimm), before, "the info block written before the image is punched out again");
});

test("kill -9 in the middle of an image copy: an interrupted create that reclaim zeroes and frees", () => {
  const { dir, state, dimm, cfg } = bigHost();
  const image = join(dir, "disk.img");
  sparseImage(image, 64 * MiB, [[0, randomBytes(12 * MiB)]]);
  const before = blocksBytes(dimm);
  const crashed = vnv(dir, { VNVDIMM_CRASH_AT: "create.mid-image@2" }, "create", cfg("victim", image), "--state", state);
  assert.equal(crashed.signal, "SIGKILL");
  assert.deepEqual(listDomains(state).orphans.map((o) => o.domain), ["victim"]);
  const g = vnv(dir, {}, "guest", "namespaces", "victim", "--state", state);
  assert.match(g.stderr, /its create was interrupted/);
  assert.equal(vnv(dir, {}, "reclaim", "--state", state).status, 0);
  assert.deepEqual(listDomains(state).domains, []);
  assert.equal(blocksBytes(dimm), before, "the half-copied image is gone from the DIMM file");
});
