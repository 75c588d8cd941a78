import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { decodeE820, decodeNfit, validateNfit, nfitStructuresOfKind, E820Type } from "../../src/formats/index.js";
import { createEmulatedHost, defaultMachineSpec, discoverFromSysfs, openEmulatedHost, parseMachineSpec, planMemoryMap, SpecError, resolveStateDir } from "../../src/host/index.js";
import { smallHost } from "../helpers/host.js";

test("the embedded default: 2 sockets, RAM, two 8 GiB NVDIMMs on nodes 0 and 1", () => {
  const s = defaultMachineSpec();
  assert.equal(s.sockets.length, 2);
  assert.deepEqual(s.nvdimms.map((d) => [d.node, d.size]), [[0, 8n << 30n], [1, 8n << 30n]]);
  const map = planMemoryMap(s);
  for (const d of map.dimms) assert.equal(d.spa % (1n << 30n), 0n, "1 GiB aligned");
  assert.notEqual(map.dimms[0]!.serial, map.dimms[1]!.serial);
});

test("spec errors name every bad key", () => {
  assert.throws(() => parseMachineSpec({ name: "x", sockets: [{ node: 0, ram: "lots" }], nvdimms: [{ node: 3, size: "1G" }] }, "m.json"), (e: unknown) => {
    assert.ok(e instanceof SpecError);
    assert.match(e.message, /Invalid machine spec m\.json: sockets\.0\.ram: "lots" is not a size/);
    return true;
  });
  // Cross-field checks run once every field parses.
  assert.throws(() => parseMachineSpec({ name: "x", sockets: [{ node: 0, ram: "1G" }], nvdimms: [{ node: 3, size: "1G" }] }), (e: unknown) => {
    assert.ok(e instanceof SpecError && e.issues.some((i) => i.path === "nvdimms.0.node" && /node 3 has no socket/.test(i.message)));
    return true;
  });
  assert.throws(() => parseMachineSpec({ name: "x", sockets: [], nvdimms: [], extra: 1 }), SpecError);
});

test("host init: sparse DIMM files laid out like QEMU backing files, firmware tables that validate", () => {
  const host = smallHost();
  for (const d of host.dimms) {
    const st = statSync(d.path);
    assert.equal(BigInt(st.size), (256n << 20n) + (128n << 10n));
    assert.ok(st.blocks * 512 < 1 << 20, "sparse: nothing written");
  }
  assert.deepEqual(validateNfit(host.nfit), []);
  const { structures } = decodeNfit(host.nfit);
  const spas = nfitStructuresOfKind(structures, "spa");
  assert.deepEqual(spas.map((s) => s.proximityDomain), [0, 1]);
  assert.equal(nfitStructuresOfKind(structures, "platform-capabilities").length, 1);
  const serials = nfitStructuresOfKind(structures, "control-region").map((c) => c.serialNumber);
  assert.equal(new Set(serials).size, 2);
  const e820 = decodeE820(host.e820);
  assert.deepEqual(e820.reasons, []);
  const pmem = e820.entries.filter((e) => e.type === E820Type.pmem);
  assert.deepEqual(pmem.map((e) => e.addr), spas.map((s) => s.addressRangeBase));
  assert.ok(e820.entries.some((e) => e.type === E820Type.reserved));
});

test("host init refuses to overwrite media without force", () => {
  const host = smallHost();
  assert.throws(() => createEmulatedHost(host.stateDir, host.spec), /Refusing to overwrite existing NVDIMM media/);
  const again = createEmulatedHost(host.stateDir, host.spec, { force: true });
  assert.equal(again.dimms.length, 2);
  assert.equal(openEmulatedHost(host.stateDir).dimms.length, 2);
});

test("state dir: --state, then $VNVDIMM_STATE, then ./.vnvdimm", () => {
  assert.equal(resolveStateDir("/x"), "/x");
  assert.equal(resolveStateDir(undefined, { VNVDIMM_STATE: "/y" }), "/y");
  assert.match(resolveStateDir(undefined, {}), /\.vnvdimm$/);
});

test("discovery from a real host's /sys (fixture tree)", () => {
  const root = mkdtempSync(join(tmpdir(), "vnvdimm-sys-"));
  const entries = [["0x0", "0x9fbff", "System RAM"], ["0x100000", "0xbfffffff", "System RAM"], ["0x100000000", "0x10ffdffff", "Persistent Memory"]];
  entries.forEach(([s, e, t], i) => {
    const d = join(root, "sys/firmware/memmap", String(i));
    mkdirSync(d, { recursive: true });
    writeFileSync(join(d, "start"), `${s}\n`); writeFileSync(join(d, "end"), `${e}\n`); writeFileSync(join(d, "type"), `${t}\n`);
  });
  mkdirSync(join(root, "sys/firmware/acpi/tables"), { recursive: true });
  const host = smallHost();
  writeFileSync(join(root, "sys/firmware/acpi/tables/NFIT"), host.nfit);
  const found = discoverFromSysfs(root);
  const e = decodeE820(found.e820).entries;
  assert.deepEqual(e.map((x) => x.type), [1, 1, 7]);
  assert.equal(e[2]!.sizeBytes, 0xffe0000n);
  assert.deepEqual(found.nfit, host.nfit);
  assert.throws(() => discoverFromSysfs(join(root, "nope")), /does not exist/);
});
