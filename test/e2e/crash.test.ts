// kill -9 in the middle of `vnvdimm create`, at each crash point: a restart
// finds no extent owned twice, reports the orphan, and `reclaim` releases it.
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { listDomains, openHostMedia } from "../../src/toolstack/index.js";

const bin = join(dirname(fileURLToPath(import.meta.url)), "..", "..", "..", "bin", "vnvdimm");
const vnv = (env: Record<string, string>, ...args: string[]) => spawnSync(process.execPath, [bin, ...args], { encoding: "utf8", env: { ...process.env, ...env } });

for (const point of ["create.after-intent", "create.mid-provision", "create.before-commit"]) {
  test(`kill -9 at ${point}: no extent owned twice, the orphan is reported and reclaimable`, () => {
    const dir = mkdtempSync(join(tmpdir(), "vnvdimm-crash-"));
    const spec = join(dir, "m.json");
    writeFileSync(spec, JSON.stringify({ name: "c", sockets: [{ node: 0, ram: "1G" }], nvdimms: [{ node: 0, size: "512M" }] }));
    const state = join(dir, "s");
    assert.equal(vnv({}, "host", "init", "--state", state, "--spec", spec).status, 0);
    assert.equal(vnv({}, "pmem", "reserve", "--dimm", "0", "--state", state).status, 0);
    const cfg = (n: string) => { const p = join(dir, `${n}.cfg`); writeFileSync(p, `name = "${n}"\nmemory = 256\nvnvdimms = [ 'size=64M, namespace=fsdax:d' ]\n`); return p; };
    const crashed = vnv({ VNVDIMM_CRASH_AT: point }, "create", cfg("victim"), "--state", state);
    assert.equal(crashed.signal, "SIGKILL");
    const after = listDomains(state);
    assert.deepEqual(after.orphans.map((o) => o.domain), ["victim"]);
    // Another domain created now never gets the orphan's pages.
    assert.equal(vnv({}, "create", cfg("other"), "--state", state).status, 0);
    const all = listDomains(state).domains.flatMap((d) => d.vnvdimms.map((v) => [v.smfn, v.smfn + v.nrPages] as const)).sort((a, b) => a[0] - b[0]);
    for (let i = 1; i < all.length; i++) assert.ok(all[i - 1]![1] <= all[i]![0], "no extent owned twice");
    const listed = vnv({}, "list", "--state", state);
    assert.match(listed.stdout, /Unfinished allocations .*victim.*vnvdimm reclaim/);
    assert.equal(vnv({}, "reclaim", "--state", state).status, 0);
    assert.deepEqual(listDomains(state).orphans, []);
    assert.deepEqual(listDomains(state).domains.map((d) => d.name).sort(), ["other"]);
  });
}

for (const point of ["delete.after-release", "scrub.before-free"]) {
  test(`kill -9 at ${point}: the pages stay out of the pool, list says why, and reclaim zeroes and frees them`, () => {
    const dir = mkdtempSync(join(tmpdir(), "vnvdimm-crash-"));
    const spec = join(dir, "m.json");
    writeFileSync(spec, JSON.stringify({ name: "c", sockets: [{ node: 0, ram: "1G" }], nvdimms: [{ node: 0, size: "512M" }] }));
    const state = join(dir, "s");
    assert.equal(vnv({}, "host", "init", "--state", state, "--spec", spec).status, 0);
    assert.equal(vnv({}, "pmem", "reserve", "--dimm", "0", "--state", state).status, 0);
    const cfg = (n: string) => { const p = join(dir, `${n}.cfg`); writeFileSync(p, `name = "${n}"\nmemory = 256\nvnvdimms = [ 'size=64M, namespace=fsdax:d' ]\n`); return p; };
    assert.equal(vnv({}, "create", cfg("victim"), "--state", state).status, 0);
    const smfn = listDomains(state).domains[0]!.vnvdimms[0]!.smfn;
    assert.equal(vnv({}, "destroy", "victim", "--state", state).status, 0);
    const crashed = vnv({ VNVDIMM_CRASH_AT: point }, "delete", "victim", "--state", state);
    assert.equal(crashed.signal, "SIGKILL");
    assert.deepEqual(listDomains(state).released.map((r) => [r.from, r.smfn, r.keep]), [["victim", smfn, false]]);
    assert.match(vnv({}, "list", "--state", state).stdout, /Awaiting their scrub \(a crash mid-delete\): victim\/vnvdimm0@0x[0-9a-f]+; run `vnvdimm reclaim`/);
    // Pages waiting for their scrub are never handed out.
    assert.equal(vnv({}, "create", cfg("other"), "--state", state).status, 0);
    assert.notEqual(listDomains(state).domains.find((d) => d.name === "other")!.vnvdimms[0]!.smfn, smfn);
    const r = vnv({}, "reclaim", "--state", state);
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /Zeroed and freed \d+ pages at 0x[0-9a-f]+ \(victim\/vnvdimm0\)/);
    assert.deepEqual(listDomains(state).released, []);
    const { media, close } = openHostMedia(state);
    try {
      const w = media(BigInt(smfn) * 4096n, 64n << 20n)!;
      assert.ok(!w.media.read(w.offset, 64 << 20).some((b) => b !== 0), "zeroed");
    } finally { close(); }
  });
}
