// End to end on the builtin backend: host → reservation → domain → probe guest.
import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { cli, ok } from "../helpers/cli.js";
import { openGuest, listDomains } from "../../src/toolstack/index.js";
import { decodeNfit, encodeNfit } from "../../src/formats/index.js";
import { FIXTURES, CASES } from "../helpers/fixtures.js";

function setup(): { dir: string; state: string } {
  const dir = mkdtempSync(join(tmpdir(), "vnvdimm-e2e-"));
  const spec = join(dir, "machine.json");
  writeFileSync(spec, JSON.stringify({ name: "e2e", sockets: [{ node: 0, ram: "1G" }, { node: 1, ram: "1G" }], nvdimms: [{ node: 0, size: "1G" }, { node: 1, size: "1G" }] }));
  const state = join(dir, "state");
  return { dir, state, ...{ spec } } as { dir: string; state: string };
}

async function hostWithReservations(): Promise<{ dir: string; state: string }> {
  const s = setup();
  await ok("host", "init", "--state", s.state, "--spec", join(s.dir, "machine.json"));
  await ok("pmem", "reserve", "--dimm", "0", "--state", s.state);
  await ok("pmem", "reserve", "--dimm", "1", "--state", s.state);
  return s;
}

function cfg(dir: string, name: string, body: string): string {
  const p = join(dir, `${name}.cfg`);
  writeFileSync(p, `name = "${name}"\nmemory = 512\n${body}\n`);
  return p;
}

test("pre-provisioned namespaces appear in the guest; data survives destroy/recreate and a host reboot at the same host offsets", async () => {
  const { dir, state } = await hostWithReservations();
  const vm1 = cfg(dir, "vm1", `vnvdimms = [ 'size=64M, node=0, namespace=fsdax:data, labels=v1.2', 'size=32M, node=1, namespace=raw:scratch, labels=v1.1', 'size=32M, namespace=sector:sec, labels=v1.2' ]`);
  await ok("create", vm1, "--state", state);
  const ns = JSON.parse(await ok("guest", "namespaces", "vm1", "--state", state, "--json")) as { name: string; mode: string; size: number; dimm: number }[];
  assert.deepEqual(ns.map((n) => [n.name, n.mode, n.dimm]), [["data", "fsdax", 0], ["scratch", "raw", 1], ["sec", "sector", 2]]);
  assert.ok(ns[0]!.size > 0 && ns[0]!.size < 64 * 2 ** 20);
  assert.equal(ns[1]!.size, 32 * 2 ** 20);

  const pattern = join(dir, "pattern.bin");
  writeFileSync(pattern, Buffer.from("vnvdimm-persistence-pattern-0123456789"));
  for (const n of ["data", "scratch", "sec"]) await ok("guest", "write", "vm1", n, "4096", pattern, "--state", state);
  const readBack = async (n: string) => (await cli("guest", "read", "vm1", n, "4096", "38", "--state", state)).out;
  assert.equal(await readBack("data"), "vnvdimm-persistence-pattern-0123456789");

  // Where the pattern sits on the host: in the DIMM file, inside vm1's extent, at the fsdax data offset.
  const list = listDomains(state).domains[0]!;
  const ext = list.vnvdimms[0]!;
  const dimm0 = readFileSync(join(state, "host", "nvdimm0.img"));
  const raw = JSON.parse(await ok("pmem", "list", "--raw", "--json", "--state", state)) as { smfn: number }[];
  const hostOff = (ext.smfn - raw[0]!.smfn) * 4096 + 2 * 2 ** 20 + 4096;
  assert.equal(dimm0.subarray(hostOff, hostOff + 38).toString(), "vnvdimm-persistence-pattern-0123456789");

  await ok("destroy", "vm1", "--state", state);
  assert.equal((await cli("guest", "namespaces", "vm1", "--state", state)).code, 1);
  await ok("create", vm1, "--state", state);
  for (const n of ["data", "scratch", "sec"]) assert.equal(await readBack(n), "vnvdimm-persistence-pattern-0123456789", n);
  assert.deepEqual(listDomains(state).domains[0]!.vnvdimms.map((v) => v.smfn), list.vnvdimms.map((v) => v.smfn));
});

test("two domains never see each other's bytes; stopped domains keep their extents; delete releases them", async () => {
  const { dir, state } = await hostWithReservations();
  await ok("create", cfg(dir, "a", `vnvdimms = [ 'size=32M, namespace=raw:ra' ]`), "--state", state);
  await ok("create", cfg(dir, "b", `vnvdimms = [ 'size=32M, namespace=raw:rb' ]`), "--state", state);
  const p = join(dir, "p.bin");
  writeFileSync(p, Buffer.from("domain-a-secret"));
  await ok("guest", "write", "a", "ra", "0", p, "--state", state);
  assert.notEqual((await cli("guest", "read", "b", "rb", "0", "15", "--state", state)).out, "domain-a-secret");
  const l = listDomains(state).domains;
  const [ea, eb] = [l[0]!.vnvdimms[0]!, l[1]!.vnvdimms[0]!];
  assert.ok(ea.smfn + ea.nrPages <= eb.smfn || eb.smfn + eb.nrPages <= ea.smfn, "extents are disjoint");
  // A guest cannot name the other guest's namespace.
  assert.equal((await cli("guest", "read", "b", "ra", "0", "15", "--state", state)).code, 2);
  await ok("destroy", "a", "--state", state);
  await ok("create", cfg(dir, "c", `vnvdimms = [ 'size=32M, namespace=raw:rc' ]`), "--state", state);
  const lc = listDomains(state).domains.find((d) => d.name === "c")!.vnvdimms[0]!;
  assert.notEqual(lc.smfn, ea.smfn, "a stopped domain's extent is not given away");
  assert.equal((await cli("delete", "b", "--state", state)).code, 1, "running domains are not deleted");
  await ok("delete", "a", "--state", state);
});

test("hotplug and hot-unplug with the FIT-changed flow; an MCE shows up in the guest's ARS", async () => {
  const { dir, state } = await hostWithReservations();
  await ok("create", cfg(dir, "h", `vnvdimms = [ 'size=32M, namespace=raw:first' ]`), "--state", state);
  const g = openGuest(state, "h");
  try {
    const guest = g.domain.guest;
    assert.equal(guest.regions().length, 1);
    g.domain.deviceModel.plug({ slot: 1, extentBytes: 32n << 20n, labelBytes: 128n << 10n, node: 1, unarmed: false });
    assert.deepEqual(g.domain.notifications.at(-1), { device: "\\_SB.NVDR", value: 0x80 });
    guest.rescan();
    assert.equal(guest.regions().length, 2);
    assert.ok(g.domain.deviceModel.unplug(1));
    guest.rescan();
    assert.equal(guest.regions().length, 1);
  } finally { g.close(); }

  const ext = listDomains(state).domains[0]!.vnvdimms[0]!;
  await ok("host", "mce", String(ext.smfn + 3), "--state", state);
  const g2 = openGuest(state, "h");
  try {
    const recs = g2.domain.guest.ars();
    const w = g2.domain.deviceModel.layout.windows[0]!;
    assert.deepEqual(recs.map((r) => [r.address, r.length]), [[w.gpa + 3n * 4096n, 4096n]]);
  } finally { g2.close(); }
});

test("a guest that creates a namespace through _DSM is seen by vnvdimm inspect on the host", async () => {
  const { dir, state } = await hostWithReservations();
  await ok("create", cfg(dir, "g", `vnvdimms = [ 'type=mfn, backend=0, nr_pages=16416, nr_label_pages=32' ]`.replace("backend=0", `backend=${await firstDataMfn(state)}`)), "--state", state);
  const g = openGuest(state, "g");
  let uuid: string;
  try {
    const ns = g.domain.guest.createNamespace({ handle: 1, mode: "fsdax", name: "made-in-guest", labels: "1.2", newUuid: () => crypto.getRandomValues(new Uint8Array(16)) });
    uuid = ns.uuid!;
    assert.equal(ns.mode, "fsdax");
  } finally { g.close(); }
  const ext = listDomains(state).domains[0]!.vnvdimms[0]!;
  const raw = JSON.parse(await ok("pmem", "list", "--raw", "--json", "--state", state)) as { smfn: number }[];
  const r = JSON.parse(await ok("inspect", "labels", join(state, "host", "nvdimm0.img"), "--offset", String((ext.smfn - raw[0]!.smfn) * 4096), "--size", String(ext.nrPages * 4096), "--json")) as { namespaces: { uuid: string; name: string; mode: string; dpa: number }[] };
  assert.deepEqual(r.namespaces.map((n) => [n.uuid, n.name, n.mode, n.dpa]), [[uuid, "made-in-guest", "fsdax", 0]]);
});

async function firstDataMfn(state: string): Promise<number> {
  const d = JSON.parse(await ok("pmem", "list", "--data", "--json", "--state", state)) as { smfn: number }[];
  return Math.ceil(d[0]!.smfn / 512) * 512;
}

test("the guest NFIT matches QEMU's for the same single-DIMM configuration", async () => {
  const { dir, state } = await hostWithReservations();
  await ok("create", cfg(dir, "q", `vnvdimms = [ 'type=mfn, backend=${await firstDataMfn(state)}, nr_pages=65536, nr_label_pages=32' ]`), "--state", state);
  const g = openGuest(state, "q");
  try {
    const ours = g.domain.platform.acpi.nfit!;
    const qemu = new Uint8Array(readFileSync(join(FIXTURES, CASES.S3, "acpi/NFIT.bin")));
    // Identical apart from the OEM header fields: re-encode ours with QEMU's header and compare whole tables.
    const d = decodeNfit(ours);
    const q = decodeNfit(qemu);
    assert.deepEqual(encodeNfit({ header: q.header!, structures: d.structures }), qemu);
  } finally { g.close(); }
});
