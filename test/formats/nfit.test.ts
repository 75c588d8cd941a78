import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync, writeFileSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { spawnSync } from "node:child_process";
import fc from "fast-check";
import {
  AcpiHeader, BlockDataWindow, ControlRegion, CONTROL_REGION_SHORT_LENGTH, FlushHintAddress, FlushHintHeader, FormatError,
  InterleaveHeader, InterleaveLine, Memdev, NFIT_FIRST_SUBTABLE, NfitSubtableHeader, PlatformCapabilities, QEMU_NFIT_HEADER,
  SetInfoMapV11, SetInfoMapV12, SmbiosHeader, SpaRange, GUIDS, bytesToGuid, byteSum, decodeNfit, describeAcpiTable, describeNfit,
  encodeNfit, encodeNfitStructure, fixChecksum, guidToBytes, nfitBlockDataWindow, nfitControlRegion, nfitFlushHint,
  nfitInterleave, nfitInterleaveSetCookies, nfitMemdev, nfitPlatformCapabilities, nfitSmbios, nfitSpaRange,
  nfitStructuresOfKind, qemuNfitStructures, slotToControlRegionIndex, slotToHandle, slotToSerialNumber, slotToSpaRangeIndex,
  validateNfit, type NfitStructure, type QemuNvdimm,
} from "../../src/formats/index.js";
import { FIXTURES, fixtureBytes } from "../helpers/fixtures.js";

const S3 = fixtureBytes("S3", "acpi/NFIT.bin");
const DIMM0: QemuNvdimm = { slot: 0, addr: 0x1_0000_0000n, sizeBytes: 0xffe_0000n, node: 0 };
const qemuTable = (dimms: QemuNvdimm[] = [DIMM0], caps?: "cpu" | "mem-ctrl") =>
  encodeNfit({ header: QEMU_NFIT_HEADER, structures: qemuNfitStructures(dimms, caps) });
const withStructures = (structures: NfitStructure[]) => encodeNfit({ header: QEMU_NFIT_HEADER, structures });
const codes = (rs: readonly { code: string }[]) => rs.map((r) => r.code);

/** A raw sub-structure of `length` bytes with a correct header, for wrong-length cases. */
function raw(type: number, length: number, patch: (b: Uint8Array) => void = () => {}): NfitStructure {
  const bytes = new Uint8Array(length);
  NfitSubtableHeader.encode({ type, length }, bytes);
  patch(bytes);
  return { kind: "raw", type, bytes };
}

/** Sets a u16 at `offset` and fixes the checksum, leaving everything else alone. */
function poke16(table: Uint8Array, offset: number, value: number): Uint8Array {
  const b = Uint8Array.from(table);
  new DataView(b.buffer).setUint16(offset, value, true);
  return fixChecksum(b);
}

test("struct sizes and offsets match ACPI 6.4 §5.2.25 and FORMATS.md §2", () => {
  assert.equal(NfitSubtableHeader.size, 4);
  assert.equal(NFIT_FIRST_SUBTABLE, 40);
  assert.equal(SpaRange.size, 64);
  assert.equal(SpaRange.offsetOf("locationCookie"), 56);
  assert.equal(SpaRange.offsetOf("regionTypeGuid"), 16);
  assert.equal(SpaRange.offsetOf("addressRangeBase"), 32);
  assert.equal(SpaRange.offsetOf("memoryMapAttribute"), 48);
  assert.equal(Memdev.size, 48);
  assert.equal(Memdev.offsetOf("controlRegionIndex"), 14);
  assert.equal(Memdev.offsetOf("regionOffset"), 24);
  assert.equal(Memdev.offsetOf("flags"), 44);
  assert.equal(InterleaveHeader.size, 16);
  assert.equal(InterleaveLine.size, 4);
  assert.equal(SmbiosHeader.size, 8);
  assert.equal(ControlRegion.size, 80);
  assert.equal(CONTROL_REGION_SHORT_LENGTH, 32);
  assert.equal(ControlRegion.offsetOf("serialNumber"), 24);
  assert.equal(ControlRegion.offsetOf("code"), 28);
  assert.equal(ControlRegion.offsetOf("flags"), 72);
  assert.equal(BlockDataWindow.size, 40);
  assert.equal(BlockDataWindow.offsetOf("startAddress"), 32);
  assert.equal(FlushHintHeader.size, 16);
  assert.equal(FlushHintAddress.size, 8);
  assert.equal(PlatformCapabilities.size, 16);
  assert.equal(PlatformCapabilities.offsetOf("capabilities"), 8);
  assert.equal(SetInfoMapV11.size, 16);
  assert.equal(SetInfoMapV12.size, 48);
});

test("golden: S3 NFIT decodes to what the host decoded (MANIFEST nfit_decoded_on_host)", () => {
  const manifest = JSON.parse(readFileSync(join(FIXTURES, "MANIFEST.json"), "utf8")) as {
    cases: { id: string; nfit_decoded_on_host: { spa: Record<string, unknown>[]; memdev: Record<string, unknown>[]; dcr: Record<string, unknown>[] } }[];
  };
  const host = manifest.cases.find((c) => c.id === "S3")!.nfit_decoded_on_host;
  const d = decodeNfit(S3);
  assert.deepEqual(d.reasons, []);
  assert.deepEqual(d.offsets, [40, 96, 144]);
  assert.equal(d.header?.signature, "NFIT");
  assert.equal(d.header?.length, 224);
  const [spa] = nfitStructuresOfKind(d.structures, "spa");
  const [m] = nfitStructuresOfKind(d.structures, "memdev");
  const [dcr] = nfitStructuresOfKind(d.structures, "control-region");
  const hs = host.spa[0]!, hm = host.memdev[0]!, hd = host.dcr[0]!;
  assert.equal(spa!.rangeIndex, hs.range_index);
  assert.equal(spa!.flags, hs.flags);
  assert.equal(spa!.proximityDomain, hs.proximity_domain);
  assert.equal(bytesToGuid(spa!.regionTypeGuid), hs.type_guid);
  assert.equal(spa!.addressRangeBase, BigInt(hs.base as number));
  assert.equal(spa!.addressRangeLength, BigInt(hs.length as number));
  assert.equal(spa!.memoryMapAttribute, BigInt(hs.memory_mapping_attributes as string));
  assert.equal(m!.deviceHandle, hm.device_handle);
  assert.equal(m!.rangeIndex, hm.range_index);
  assert.equal(m!.controlRegionIndex, hm.region_index);
  assert.equal(m!.regionSize, BigInt(hm.region_size as number));
  assert.equal(m!.interleaveWays, hm.interleave_ways);
  assert.equal(m!.flags, hm.flags);
  assert.equal(dcr!.regionIndex, hd.region_index);
  assert.equal(dcr!.vendorId, hd.vendor_id);
  assert.equal(dcr!.serialNumber, hd.serial_number);
  assert.equal(dcr!.code, Number(hd.code));
  assert.equal(dcr!.length, 80);
});

test("round-trip: re-encoding S1, S2 and S3 NFIT.bin gives the same bytes", () => {
  for (const c of ["S1", "S2", "S3"] as const) {
    const bytes = fixtureBytes(c, "acpi/NFIT.bin");
    const d = decodeNfit(bytes);
    assert.deepEqual(validateNfit(bytes), [], c);
    assert.deepEqual(encodeNfit({ header: d.header!, structures: d.structures }), bytes, c);
  }
});

test("QEMU builder: one DIMM in slot 0 gives S3 NFIT.bin byte for byte", () => {
  const built = qemuTable();
  assert.equal(built.length, 224);
  assert.equal(byteSum(built), 0);
  assert.deepEqual(built, S3);
});

test("QEMU builder: derived IDs, unarmed, capabilities, DIMM order", () => {
  assert.deepEqual([slotToHandle(0), slotToSpaRangeIndex(0), slotToControlRegionIndex(0), slotToSerialNumber(0)], [1, 2, 3, 0x123456]);
  assert.deepEqual([slotToHandle(3), slotToSpaRangeIndex(3), slotToControlRegionIndex(3), slotToSerialNumber(3)], [4, 8, 9, 0x123459]);
  const dimms: QemuNvdimm[] = [{ ...DIMM0, slot: 2, node: 1, unarmed: true }, DIMM0];
  const s = qemuNfitStructures(dimms, "cpu");
  assert.deepEqual(s.map((x) => x.kind), ["spa", "memdev", "control-region", "spa", "memdev", "control-region", "platform-capabilities"]);
  const [m2] = nfitStructuresOfKind(s, "memdev");
  assert.equal(m2!.flags, 8);
  assert.equal(m2!.deviceHandle, 3);
  assert.equal(nfitStructuresOfKind(s, "spa")[0]!.proximityDomain, 1);
  const [capsCpu] = nfitStructuresOfKind(s, "platform-capabilities");
  assert.deepEqual([capsCpu!.highestCapability, capsCpu!.capabilities], [1, 3]);
  const [capsMem] = nfitStructuresOfKind(qemuNfitStructures([DIMM0], "mem-ctrl"), "platform-capabilities");
  assert.deepEqual([capsMem!.highestCapability, capsMem!.capabilities], [1, 2]);
  const table = qemuTable(dimms, "cpu");
  assert.equal(table.length, 40 + 2 * (56 + 48 + 80) + 16);
  assert.deepEqual(validateNfit(table), []);
});

test("interleave-set cookies of the fixture NFIT (FORMATS.md §5)", () => {
  const d = decodeNfit(S3);
  const [spa] = nfitStructuresOfKind(d.structures, "spa");
  const memdevs = nfitStructuresOfKind(d.structures, "memdev");
  const dcrs = nfitStructuresOfKind(d.structures, "control-region");
  assert.deepEqual(nfitInterleaveSetCookies(spa!, memdevs, dcrs), { v11: 0x2468ac00123456n, v12: 0xba90120012b4dcn });
  const err = (() => { try { nfitInterleaveSetCookies(spa!, memdevs, []); } catch (e) { return e; } })();
  assert.ok(err instanceof FormatError);
  assert.equal(err.code, "nfit.memdev.dcr");
});

test("interleave-set cookies do not depend on memdev order (records sorted by region offset)", () => {
  const spa = nfitSpaRange({ rangeIndex: 2 });
  const mappings = fc.uniqueArray(fc.bigInt({ min: 0n, max: (1n << 64n) - 1n }), { minLength: 1, maxLength: 6 });
  fc.assert(fc.property(mappings, fc.integer(), (offsets, seed) => {
    const memdevs = offsets.map((regionOffset, i) => nfitMemdev({ rangeIndex: 2, controlRegionIndex: 10 + i, regionOffset }));
    const dcrs = offsets.map((_, i) => nfitControlRegion({ regionIndex: 10 + i, serialNumber: i * 7919, vendorId: 0x8086 }));
    const shuffled = [...memdevs].sort((a, b) => ((a.controlRegionIndex * 31 + seed) % 7) - ((b.controlRegionIndex * 31 + seed) % 7));
    assert.deepEqual(nfitInterleaveSetCookies(spa, shuffled, dcrs), nfitInterleaveSetCookies(spa, memdevs, dcrs));
  }));
});

test("validation, step 1: the ACPI header (signature, length, checksum)", () => {
  assert.deepEqual(codes(validateNfit(S3.subarray(0, 20))), ["acpi.truncated"]);
  const sig = Uint8Array.from(S3); sig[0] = 0x58;
  assert.deepEqual(codes(validateNfit(fixChecksum(sig))), ["acpi.signature"]);
  assert.deepEqual(codes(validateNfit(S3.subarray(0, 200))), ["acpi.length"]);
  const sum = Uint8Array.from(S3); sum[200]! ^= 1;
  assert.deepEqual(codes(validateNfit(sum)), ["acpi.checksum"]);
});

test("validation, step 2: table and sub-structure walk", () => {
  assert.deepEqual(codes(decodeNfit(S3.subarray(0, 39)).reasons), ["nfit.truncated"]);
  assert.equal(decodeNfit(S3.subarray(0, 39)).header, undefined);
  assert.deepEqual(codes(decodeNfit(S3.subarray(0, 200)).reasons), ["nfit.truncated", "nfit.sub.length"]);
  const short = poke16(S3.subarray(0, 40), 4, 38);
  assert.deepEqual(codes(validateNfit(short)), ["nfit.length"]);

  const stray = new Uint8Array(226); stray.set(S3); new DataView(stray.buffer).setUint32(4, 226, true);
  assert.deepEqual(codes(validateNfit(fixChecksum(stray))), ["nfit.sub.truncated"]);
  const zero = poke16(S3, 96 + 2, 0);
  const dz = decodeNfit(zero);
  assert.deepEqual(codes(validateNfit(zero)), ["nfit.sub.zero-length"]);
  assert.deepEqual(dz.reasons[0], { ...dz.reasons[0], index: 1, offset: 96, type: 1 });
  assert.equal(dz.structures.length, 1);
  assert.deepEqual(codes(validateNfit(poke16(S3, 144 + 2, 96))), ["nfit.sub.length"]);
  assert.deepEqual(codes(validateNfit(poke16(S3, 40 + 2, 2))), ["nfit.sub.length"]);

  const unknown = withStructures([...qemuNfitStructures([DIMM0]), raw(99, 12)]);
  const du = decodeNfit(unknown);
  assert.deepEqual(codes(validateNfit(unknown)), ["nfit.sub.unknown-type"]);
  assert.deepEqual(du.structures[3], raw(99, 12));
  assert.deepEqual(encodeNfit({ header: du.header!, structures: du.structures }), unknown);
});

test("validation, step 2: a length wrong for its type is reported per type and kept raw", () => {
  const cases: [NfitStructure, string][] = [
    [raw(0, 64), "nfit.spa.length"], // 64 bytes but flags bit 2 clear
    [raw(0, 56, (b) => { b[6] = 4; }), "nfit.spa.length"], // bit 2 set but 56 bytes
    [raw(1, 52), "nfit.memdev.length"],
    [raw(2, 20, (b) => { b[8] = 2; }), "nfit.interleave.length"], // 2 lines need 24 bytes
    [raw(2, 12), "nfit.interleave.length"],
    [raw(3, 6), "nfit.smbios.length"],
    [raw(4, 32, (b) => { b[30] = 1; }), "nfit.dcr.length"], // short form needs windowCount 0
    [raw(4, 64), "nfit.dcr.length"],
    [raw(5, 48), "nfit.bdw.length"],
    [raw(6, 24, (b) => { b[8] = 2; }), "nfit.flush.length"],
    [raw(7, 20), "nfit.caps.length"],
  ];
  for (const [s, code] of cases) {
    const table = withStructures([s]);
    const d = decodeNfit(table);
    assert.deepEqual(codes(validateNfit(table)), [code], code);
    assert.equal(d.structures[0]!.kind, "raw", code);
    assert.deepEqual(d.reasons[0], { ...d.reasons[0], index: 0, offset: 40 }, code);
    assert.deepEqual(encodeNfit({ header: d.header!, structures: d.structures }), table, code);
  }
});

test("validation, step 3: cross-references", () => {
  const base = () => qemuNfitStructures([DIMM0, { ...DIMM0, slot: 1, addr: 0x2_0000_0000n }]);
  const check = (mutate: (s: NfitStructure[]) => NfitStructure[], expected: string[]) => {
    assert.deepEqual(codes(validateNfit(withStructures(mutate(base())))), expected);
  };
  check((s) => s, []);
  check((s) => [...s, nfitSpaRange({ rangeIndex: 2 })], ["nfit.spa.duplicate-index"]);
  check((s) => [...s, nfitSpaRange({ rangeIndex: 0 }), nfitSpaRange({ rangeIndex: 0 })], []);
  check((s) => [...s, nfitSpaRange({ rangeIndex: 9, addressRangeBase: 0xffff_ffff_ffff_f000n, addressRangeLength: 0x2000n })], ["nfit.spa.overflow"]);
  check((s) => [...s, nfitControlRegion({ regionIndex: 3 })], ["nfit.dcr.duplicate-index"]);
  check((s) => [...s, nfitMemdev({ rangeIndex: 7, controlRegionIndex: 3 })], ["nfit.memdev.spa"]);
  check((s) => [...s, nfitMemdev({ rangeIndex: 0, controlRegionIndex: 3 })], []);
  check((s) => [...s, nfitMemdev({ rangeIndex: 2, controlRegionIndex: 11 })], ["nfit.memdev.dcr"]);
  check((s) => [...s, nfitMemdev({ rangeIndex: 2, controlRegionIndex: 3, interleaveIndex: 5 })], ["nfit.memdev.interleave"]);
  check((s) => [...s, nfitInterleave({ interleaveIndex: 5, lineSize: 256, lineOffsets: [0] }), nfitMemdev({ rangeIndex: 2, controlRegionIndex: 3, interleaveIndex: 5 })], []);
  check((s) => [...s, nfitBlockDataWindow({ regionIndex: 12 })], ["nfit.bdw.dcr"]);
  check((s) => [...s, nfitFlushHint({ deviceHandle: 9, hintAddresses: [0xfed0_0000n] })], ["nfit.flush.handle"]);
  check((s) => [...s, nfitFlushHint({ deviceHandle: 2, hintAddresses: [0xfed0_0000n] })], []);
  const r = validateNfit(withStructures([...base(), nfitMemdev({ deviceHandle: 7, rangeIndex: 7, controlRegionIndex: 3 })]))[0]!;
  assert.deepEqual(r, { ...r, code: "nfit.memdev.spa", index: 6, offset: 40 + 2 * 184, deviceHandle: 7, rangeIndex: 7 });
  // Cross-references are not judged when the walk failed: the missing SPA would be a consequence.
  assert.deepEqual(codes(validateNfit(withStructures([raw(0, 60), ...base().slice(1)]))), ["nfit.spa.length"]);
});

test("short control region (32 bytes, no windows) and SPA with location cookie round-trip", () => {
  const dcr = nfitControlRegion({ regionIndex: 3, vendorId: 0x8086, serialNumber: 42, length: 32 });
  const spa = nfitSpaRange({ rangeIndex: 2, flags: 4, locationCookie: 0x1122334455667788n, regionTypeGuid: guidToBytes(GUIDS.spaPersistentMemory) });
  const mem = nfitMemdev({ rangeIndex: 2, controlRegionIndex: 3 });
  const table = withStructures([spa, mem, dcr]);
  assert.equal(table.length, 40 + 64 + 48 + 32);
  assert.deepEqual(validateNfit(table), []);
  const d = decodeNfit(table);
  assert.deepEqual(d.structures.map((s) => (s.kind === "raw" ? s.bytes.length : s.length)), [64, 48, 32]);
  assert.equal(nfitStructuresOfKind(d.structures, "spa")[0]!.locationCookie, 0x1122334455667788n);
  assert.deepEqual(encodeNfit({ header: d.header!, structures: d.structures }), table);
  assert.throws(() => encodeNfitStructure(nfitControlRegion({ length: 32, windowCount: 1 })), /assertion failed/);
  assert.throws(() => encodeNfitStructure(nfitSpaRange({ length: 64 })), /assertion failed/);
  assert.throws(() => encodeNfitStructure(nfitMemdev({ length: 40 })), /assertion failed/);
  assert.throws(() => encodeNfitStructure({ kind: "raw", type: 1, bytes: new Uint8Array(8) }), /assertion failed/);
});

test("describe: iasl field names, u64 as hex strings, JSON-safe", () => {
  const d = describeNfit(S3);
  assert.equal(d.checksumValid, true);
  assert.deepEqual(d.reasons, []);
  assert.deepEqual(d.header, { signature: "NFIT", tableLength: 224, revision: 1, checksum: 0x0a, oemId: "BOCHS ", oemTableId: "BXPC    ", oemRevision: 1, aslCompilerId: "BXPC", aslCompilerRevision: 1, reserved: 0 });
  const [spa, mem, dcr] = d.structures!;
  assert.deepEqual(spa, {
    subtableType: 0, subtableName: "System Physical Address Range", length: 56, rangeIndex: 2, flags: 3, proximityDomain: 0,
    regionTypeGuid: GUIDS.spaPersistentMemory, addressRangeBase: "0x100000000", addressRangeLength: "0xffe0000", memoryMapAttribute: "0x8008",
  });
  assert.equal(mem!.controlRegionIndex, 3);
  assert.equal(mem!.regionSize, "0xffe0000");
  assert.equal(dcr!.serialNumber, 0x123456);
  assert.equal(dcr!.code, 0x301);
  assert.doesNotThrow(() => JSON.stringify(d));
  const all = withStructures([...qemuNfitStructures([DIMM0], "cpu"), nfitInterleave({ interleaveIndex: 1, lineSize: 256, lineOffsets: [0, 128] }),
    nfitSmbios({ data: Uint8Array.of(1, 2, 3, 4) }), nfitBlockDataWindow({ regionIndex: 3 }), nfitFlushHint({ deviceHandle: 1, hintAddresses: [0xfed00000n] }), raw(42, 8)]);
  const da = describeAcpiTable(all);
  const names = da.structures!.map((s) => s.subtableName);
  assert.deepEqual(names, ["System Physical Address Range", "Memory Range Map", "NVDIMM Control Region", "Platform Capabilities", "Interleave Info", "SMBIOS Information", "NVDIMM Block Data Window Region", "Flush Hint Address", "Unknown"]);
  assert.deepEqual(da.structures![4]!.lineOffsets, [0, 128]);
  assert.equal(da.structures![4]!.lineCount, 2);
  assert.equal(da.structures![5]!.smbiosTableEntries, "01020304");
  assert.deepEqual(da.structures![7]!.hintAddresses, ["0xfed00000"]);
  assert.equal(da.structures![8]!.raw, "2a00080000000000");
  assert.doesNotThrow(() => JSON.stringify(da));
});

test("describeAcpiTable: any signature gets header and checksum status", () => {
  const t = Uint8Array.from(S3); t.set([0x53, 0x53, 0x44, 0x54], 0); fixChecksum(t);
  const d = describeAcpiTable(t);
  assert.equal(d.header!.signature, "SSDT");
  assert.equal(d.checksumValid, true);
  assert.equal(d.structures, undefined);
  t[100]! ^= 0xff;
  assert.deepEqual([describeAcpiTable(t).checksumValid, codes(describeAcpiTable(t).reasons)], [false, ["acpi.checksum"]]);
  assert.deepEqual(describeAcpiTable(new Uint8Array(3)), { header: null, checksumValid: false, reasons: validateNfit(new Uint8Array(3)) });
});

// Arbitraries for every sub-structure kind, built through the makers so that
// lengths are derived; raw ones use types ACPI 6.4 leaves undefined.
const u16 = fc.integer({ min: 0, max: 0xffff });
const u32 = fc.integer({ min: 0, max: 0xffff_ffff });
const u64 = fc.bigInt({ min: 0n, max: (1n << 64n) - 1n });
const guid = fc.uint8Array({ minLength: 16, maxLength: 16 });
const arbStructure: fc.Arbitrary<NfitStructure> = fc.oneof(
  fc.record({ rangeIndex: u16, flags: u16, proximityDomain: u32, regionTypeGuid: guid, addressRangeBase: u64, addressRangeLength: u64, memoryMapAttribute: u64, locationCookie: u64 })
    .map((r) => nfitSpaRange({ ...r, locationCookie: r.flags & 4 ? r.locationCookie : 0n })),
  fc.record({ deviceHandle: u32, physicalId: u16, regionId: u16, rangeIndex: u16, controlRegionIndex: u16, regionSize: u64, regionOffset: u64, addressRegionBase: u64, interleaveIndex: u16, interleaveWays: u16, flags: u16 })
    .map((r) => nfitMemdev(r)),
  fc.record({ interleaveIndex: u16, lineSize: u32, lineOffsets: fc.array(u32, { maxLength: 8 }) }).map((r) => nfitInterleave(r)),
  fc.uint8Array({ maxLength: 24 }).map((data) => nfitSmbios({ data })),
  fc.record({ regionIndex: u16, vendorId: u16, serialNumber: u32, code: u16, windowCount: u16, windowSize: u64, statusSize: u64, manufacturingDate: u16, short: fc.boolean() })
    .map(({ short, ...r }) => (short ? nfitControlRegion({ ...r, windowCount: 0, windowSize: 0n, statusSize: 0n, length: 32 }) : nfitControlRegion(r))),
  fc.record({ regionIndex: u16, windowCount: u16, offset: u64, size: u64, capacity: u64, startAddress: u64 }).map((r) => nfitBlockDataWindow(r)),
  fc.record({ deviceHandle: u32, hintAddresses: fc.array(u64, { maxLength: 4 }) }).map((r) => nfitFlushHint(r)),
  fc.record({ highestCapability: fc.integer({ min: 0, max: 255 }), capabilities: u32 }).map((r) => nfitPlatformCapabilities(r)),
  fc.tuple(fc.integer({ min: 8, max: 0xffff }), fc.uint8Array({ maxLength: 20 })).map(([type, tail]) => {
    const bytes = new Uint8Array(4 + tail.length); bytes.set(tail, 4);
    NfitSubtableHeader.encode({ type, length: bytes.length }, bytes);
    return { kind: "raw", type, bytes } as NfitStructure;
  }),
);

function withoutLength(s: NfitStructure): object {
  const { length: _l, ...rest } = s as NfitStructure & { length?: number };
  return rest;
}

test("property: decode ∘ encode is the identity on generated structures", () => {
  fc.assert(fc.property(fc.array(arbStructure, { maxLength: 8 }), (structures) => {
    const table = withStructures(structures);
    assert.equal(byteSum(table), 0);
    assert.equal(AcpiHeader.decode(table).length, table.length);
    const d = decodeNfit(table);
    assert.deepEqual(d.structures.map(withoutLength), structures.map(withoutLength));
    assert.deepEqual(codes(d.reasons), structures.filter((s) => s.kind === "raw").map(() => "nfit.sub.unknown-type"));
    assert.deepEqual(encodeNfit({ header: d.header!, structures: d.structures }), table);
  }));
});

test("property: decodeNfit, validateNfit and describe never throw on arbitrary bytes", () => {
  const everything = (b: Uint8Array) => {
    const d = decodeNfit(b);
    validateNfit(b);
    JSON.stringify(describeAcpiTable(b));
    return d;
  };
  fc.assert(fc.property(fc.uint8Array({ maxLength: 300 }), (b) => { everything(b); }));
  // With the signature and a plausible length in place the walk itself gets exercised.
  fc.assert(fc.property(fc.uint8Array({ minLength: 40, maxLength: 300 }), fc.integer({ min: 0, max: 400 }), (b, length) => {
    b.set([0x4e, 0x46, 0x49, 0x54], 0);
    new DataView(b.buffer, b.byteOffset).setUint32(4, length, true);
    everything(b);
  }), { numRuns: 500 });
});

test("property: mutated fixture tables decode without throwing, and losslessly when the walk completes", () => {
  const mutation = fc.array(fc.tuple(fc.integer({ min: 36, max: S3.length - 1 }), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 6 });
  fc.assert(fc.property(mutation, (edits) => {
    const b = Uint8Array.from(S3);
    for (const [at, v] of edits) b[at] = v;
    fixChecksum(b);
    const d = decodeNfit(b);
    validateNfit(b);
    const stopped = d.reasons.some((r) => ["nfit.sub.truncated", "nfit.sub.zero-length", "nfit.sub.length"].includes(r.code));
    if (!stopped) assert.deepEqual(encodeNfit({ header: d.header!, structures: d.structures }), b);
  }), { numRuns: 1000 });
});

const IASL_MISSING = "iasl not found (Debian acpica-tools): install it, or run `bash scripts/system-deps.sh`";
const haveIasl = () => !spawnSync("iasl", ["-v"], { encoding: "utf8" }).error;

/** Runs `iasl -d` on the table in a temp dir; returns its console output and the .dsl. */
function disassemble(table: Uint8Array): { status: number | null; log: string; dsl: string } {
  const dir = mkdtempSync(join(tmpdir(), "vnvdimm-nfit-"));
  try {
    writeFileSync(join(dir, "NFIT.bin"), table);
    const r = spawnSync("iasl", ["-d", "NFIT.bin"], { cwd: dir, encoding: "utf8" });
    return { status: r.status, log: r.stdout + r.stderr, dsl: readFileSync(join(dir, "NFIT.dsl"), "utf8") };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

test("iasl -d disassembles our QEMU NFIT without complaint", (t) => {
  if (!haveIasl()) return t.skip(IASL_MISSING);
  const { status, log, dsl } = disassemble(qemuTable([DIMM0, { ...DIMM0, slot: 1, addr: 0x2_0000_0000n, unarmed: true }], "cpu"));
  assert.equal(status, 0, log);
  assert.doesNotMatch(log + dsl, /error|invalid|incorrect|warning/i);
  for (const line of [
    /Table Length : 000001A8/, /Range Index : 0002/, /Range Index : 0004/, /Region Type GUID : 66F0D379-B4F3-4074-AC43-0D3318B78CDB/,
    /Address Range Base : 0000000100000000/, /Address Range Length : 000000000FFE0000/, /Memory Map Attribute : 0000000000008008/,
    /Device Handle : 00000002/, /Control Region Index : 0005/, /Device not armed : 1/, /Serial Number : 00123457/, /Code : 0301/,
    /\[Platform Capabilities\]/, /Highest Capability : 01/,
  ]) assert.match(dsl.replace(/ +/g, " "), new RegExp(line.source.replace(/ +/g, " ")));
});

test("iasl -d accepts every sub-structure type we encode", (t) => {
  if (!haveIasl()) return t.skip(IASL_MISSING);
  const { status, log, dsl } = disassemble(withStructures([...qemuNfitStructures([DIMM0]), nfitInterleave({ interleaveIndex: 1, lineSize: 256, lineOffsets: [0, 128] }),
    nfitSmbios({ data: Uint8Array.of(1, 2, 3, 4) }), nfitBlockDataWindow({ regionIndex: 3, windowCount: 1 }), nfitFlushHint({ deviceHandle: 1, hintAddresses: [0xfed00000n, 0xfed00040n] }),
    nfitPlatformCapabilities({ highestCapability: 1, capabilities: 2 })]));
  assert.equal(status, 0, log);
  assert.doesNotMatch(log + dsl, /error|invalid|incorrect|warning/i);
  for (const name of ["Interleave Info", "SMBIOS Information", "NVDIMM Block Data Window Region", "Flush Hint Address", "Platform Capabilities"]) assert.ok(dsl.includes(`[${name}]`), name);
  assert.match(dsl, /Hint Address : 00000000FED00040/);
});
