import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, readdirSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { cli } from "../helpers/cli.js";

const small = { name: "t", sockets: [{ node: 0, ram: "1G" }, { node: 1, ram: "1G" }], nvdimms: [{ node: 0, size: "256M" }, { node: 1, size: "256M" }] };

function newState(): { state: string; spec: string } {
  const dir = mkdtempSync(join(tmpdir(), "vnvdimm-cli-host-"));
  const spec = join(dir, "machine.json");
  writeFileSync(spec, JSON.stringify(small));
  return { state: join(dir, "state"), spec };
}

test("host init → pmem reserve → pmem list --json → host status, end to end", async () => {
  const { state, spec } = newState();
  const init = await cli("host", "init", "--state", state, "--spec", spec);
  assert.equal(init.code, 0, init.err);
  assert.match(init.out, /Created host "t"/);
  const again = await cli("host", "init", "--state", state, "--spec", spec);
  assert.equal(again.code, 2);
  assert.match(again.err, /^vnvdimm: Refusing to overwrite existing NVDIMM media: .*\n {2}hint: pass --force/);

  const raw = JSON.parse((await cli("pmem", "list", "--raw", "--json", "--state", state)).out) as { type: string; smfn: number; emfn: number; pxm: number }[];
  assert.deepEqual(raw.map((r) => [r.type, r.pxm, r.emfn - r.smfn]), [["raw", 0, 65536], ["raw", 1, 65536]]);

  const rsv = await cli("pmem", "reserve", "--dimm", "0", "--state", state, "--json");
  assert.equal(rsv.code, 0, rsv.err);
  const data = JSON.parse((await cli("pmem", "list", "--data", "--json", "--state", state)).out) as { type: string; smfn: number; emfn: number; pxm: number; mgmtSmfn: number; mgmtEmfn: number }[];
  assert.equal(data.length, 1);
  assert.equal(data[0]!.pxm, 0);
  assert.ok(data[0]!.mgmtSmfn < data[0]!.mgmtEmfn && data[0]!.mgmtEmfn <= data[0]!.smfn);
  assert.ok(data[0]!.smfn >= raw[0]!.smfn && data[0]!.emfn <= raw[0]!.emfn);

  const status = await cli("host", "status", "--state", state);
  assert.equal(status.code, 0);
  assert.match(status.out, /hypervisor {2}0x0 {2}256 MiB {2}reservation/);

  const mce = await cli("host", "mce", String(data[0]!.smfn + 5), "--state", state, "--json");
  assert.equal(mce.code, 0, mce.err);
  // The bad-block list makes the page broken again at the next boot.
  const after = JSON.parse((await cli("pmem", "list", "--data", "--json", "--state", state)).out) as { brokenPages: number }[];
  assert.equal(after[0]!.brokenPages, 1);
});

test("pmem setup-mgmt / setup-data: the low-level path, with refusals", async () => {
  const { state, spec } = newState();
  await cli("host", "init", "--state", state, "--spec", spec);
  const raw = JSON.parse((await cli("pmem", "list", "--raw", "--json", "--state", state)).out) as { smfn: number; emfn: number }[];
  const s = raw[0]!.smfn;
  const ok = await cli("pmem", "setup-mgmt", String(s), String(s + 512), "--state", state, "--json");
  assert.equal(ok.code, 0, ok.err);
  const cross = await cli("pmem", "setup-mgmt", String(raw[0]!.emfn - 10), String(raw[1]!.smfn + 10), "--state", state);
  assert.equal(cross.code, 1);
  assert.match(cross.err, /pmem setup refused: EINVAL/);
  const dataWithoutMgmt = await cli("pmem", "setup-data", String(s + 1024), String(s + 2048), String(s), String(s + 512), "--state", state);
  // Each command is a boot: the management region set up above is gone, as in Xen after a reboot.
  assert.equal(dataWithoutMgmt.code, 1);
  assert.match(dataWithoutMgmt.err, /ENOENT|EINVAL/);
});

test("usage errors: one line and a hint", async () => {
  const { state } = newState();
  const none = await cli("pmem", "list", "--state", state);
  assert.equal(none.code, 2);
  assert.equal(none.err, `vnvdimm: No host in ${state}\n  hint: create one with \`vnvdimm host init\`\n`);
  const both = await cli("pmem", "reserve", "--state", state);
  assert.equal(both.code, 2);
  assert.match(both.err, /needs exactly one of --namespace or --dimm/);
  const badSpec = join(state, "..", "bad.json");
  writeFileSync(badSpec, JSON.stringify({ ...small, nvdimms: [{ node: 7, size: "1G" }] }));
  const bs = await cli("host", "init", "--state", state, "--spec", badSpec);
  assert.equal(bs.code, 2);
  assert.match(bs.err, /Invalid machine spec .*bad\.json: nvdimms\.0\.node: node 7 has no socket/);
  assert.equal((await cli("host", "mce", "zz", "--state", state)).code, 2);
});

test("host add-dimm without a daemon: a bad node or size is one line and changes nothing; a good one is found by the next boot, nothing else moves", async () => {
  const { state, spec } = newState();
  assert.equal((await cli("host", "init", "--state", state, "--spec", spec)).code, 0);
  const before = JSON.parse((await cli("host", "status", "--json", "--state", state)).out) as { dimms: { spa: number; handle: number }[] };
  const files = () => readdirSync(join(state, "host")).sort();
  const had = files();
  for (const [args, re] of [[["--node", "9", "--size", "1G"], /node 9 has no socket/], [["--node", "0", "--size", "lots"], /size/]] as const) {
    const r = await cli("host", "add-dimm", ...args, "--state", state);
    assert.equal(r.code, 2, r.err);
    assert.match(r.err, re);
    assert.equal(r.err.trim().split("\n").filter((l) => !l.startsWith("  hint:")).length, 1, r.err);
    assert.deepEqual(files(), had, "no media and no firmware change");
  }
  const added = JSON.parse((await cli("host", "add-dimm", "--node", "1", "--size", "512M", "--json", "--state", state)).out) as { index: number; hotplugged: boolean };
  assert.deepEqual([added.index, added.hotplugged], [2, false]);
  const after = JSON.parse((await cli("host", "status", "--json", "--state", state)).out) as { dimms: { spa: number; handle: number }[] };
  assert.equal(after.dimms.length, 3);
  assert.deepEqual(after.dimms.slice(0, 2).map((d) => [d.spa, d.handle]), before.dimms.map((d) => [d.spa, d.handle]), "the old DIMMs keep their SPA and handle");
  const raw = JSON.parse((await cli("pmem", "list", "--raw", "--json", "--state", state)).out) as unknown[];
  assert.equal(raw.length, 3);
});
