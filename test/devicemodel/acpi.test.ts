import { test } from "node:test";
import assert from "node:assert/strict";
import {
  decodeNfit, nfitStructuresOfKind, validateNfit, MEMDEV_FLAG_NOT_ARMED, NFIT_FIRST_SUBTABLE, AcpiHeader,
} from "../../src/formats/index.js";
import { buildGuestNfit, buildGuestSsdt, encodeGuestFit, planGuestLayout, GuestFit, type GuestNvdimm } from "../../src/devicemodel/index.js";
import { fixtureBytes } from "../helpers/fixtures.js";
import { GiB, KiB128, MiB } from "./helpers.js";

const S3_DIMM: GuestNvdimm = { slot: 0, gpa: 0x1_0000_0000n, sizeBytes: 256n * MiB - KiB128, node: 0, unarmed: false };

function firstDiff(a: Uint8Array, b: Uint8Array): number {
  if (a.length !== b.length) return Math.min(a.length, b.length);
  return a.findIndex((x, i) => x !== b[i]);
}

test("golden: the NFIT for S3's DIMM is byte-identical to QEMU 10's", () => {
  const want = fixtureBytes("S3", "acpi/NFIT.bin");
  const got = buildGuestNfit([S3_DIMM]);
  assert.equal(firstDiff(got, want), -1, `first difference at ${firstDiff(got, want)}`);
});

test("golden: the SSDT for 4 slots and MEMA 0x1FFFF000 is byte-identical to QEMU 10's", () => {
  const want = fixtureBytes("S3", "acpi/SSDT.bin");
  const got = buildGuestSsdt({ slots: 4, mailboxGpa: 0x1fff_f000n });
  assert.equal(firstDiff(got, want), -1, `first difference at ${firstDiff(got, want)}`);
});

test("golden: S3's configuration through the layout gives the same tables", () => {
  const layout = planGuestLayout({ ramBytes: 512n * MiB, slots: 4, vnvdimms: [{ slot: 0, extentBytes: 256n * MiB, labelBytes: KiB128, node: 0, unarmed: false }] });
  assert.equal(firstDiff(buildGuestNfit(layout.windows), fixtureBytes("S3", "acpi/NFIT.bin")), -1);
  assert.equal(firstDiff(buildGuestSsdt({ slots: layout.slots, mailboxGpa: layout.mailboxGpa }), fixtureBytes("S3", "acpi/SSDT.bin")), -1);
});

test("unarmed sets memdev NOT_ARMED; node becomes the SPA proximity domain", () => {
  const nfit = buildGuestNfit([{ ...S3_DIMM, unarmed: true, node: 3 }, { slot: 1, gpa: 2n * GiB * 4n, sizeBytes: GiB, node: 1, unarmed: false }]);
  assert.deepEqual(validateNfit(nfit), []);
  const { structures } = decodeNfit(nfit);
  const memdevs = nfitStructuresOfKind(structures, "memdev");
  const spas = nfitStructuresOfKind(structures, "spa");
  assert.deepEqual(memdevs.map((m) => m.flags & MEMDEV_FLAG_NOT_ARMED), [MEMDEV_FLAG_NOT_ARMED, 0]);
  assert.deepEqual(spas.map((s) => s.proximityDomain), [3, 1]);
});

test("DIMMs go in slot order whatever order they are given in", () => {
  const a = { ...S3_DIMM, slot: 2, gpa: 0x2_0000_0000n };
  const b = { ...S3_DIMM, slot: 0 };
  assert.deepEqual(buildGuestNfit([a, b]), buildGuestNfit([b, a]));
  const memdevs = nfitStructuresOfKind(decodeNfit(buildGuestNfit([a, b])).structures, "memdev");
  assert.deepEqual(memdevs.map((m) => m.deviceHandle), [1, 3]);
});

test("platform capabilities come last, only when asked for", () => {
  const { structures } = decodeNfit(buildGuestNfit([S3_DIMM], { capabilities: "cpu" }));
  const last = structures[structures.length - 1]!;
  assert.equal(last.kind, "platform-capabilities");
  assert.equal(structures.length, 4);
});

test("the FIT is the NFIT without its header, and GuestFit holds the same bytes", () => {
  const nfit = buildGuestNfit([S3_DIMM]);
  assert.deepEqual(encodeGuestFit([S3_DIMM]), nfit.slice(NFIT_FIRST_SUBTABLE));
  assert.deepEqual(new GuestFit([S3_DIMM]).bytes(), nfit.slice(NFIT_FIRST_SUBTABLE));
  assert.equal(AcpiHeader.decode(nfit).length, 224);
});
