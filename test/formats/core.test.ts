import { test } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import {
  defineStruct, fletcher64, guidToBytes, bytesToGuid, rawBytesToText, rawTextToBytes,
  AcpiHeader, buildAcpiTable, byteSum, validateAcpiHeader, parseSize, humanSize,
} from "../../src/formats/index.js";

test("defineStruct rejects gaps, overlaps and wrong sizes", () => {
  assert.throws(() => defineStruct({ name: "t", size: 4, spec: "", fields: [{ name: "a", offset: 1, kind: "u8" }] }), /gap or overlap/);
  assert.throws(() => defineStruct({ name: "t", size: 3, spec: "", fields: [{ name: "a", offset: 0, kind: "u16" }] }), /declared size/);
  assert.throws(() => defineStruct({ name: "t", size: 4, spec: "", fields: [{ name: "a", offset: 0, kind: "u32", size: 2 }] }), /is 4 bytes/);
});

test("defineStruct round-trips every byte", () => {
  const S = defineStruct({ name: "t", size: 31, spec: "", fields: [
    { name: "a", offset: 0, kind: "u8" }, { name: "b", offset: 1, kind: "u16" }, { name: "c", offset: 3, kind: "u32" },
    { name: "d", offset: 7, kind: "u64" }, { name: "g", offset: 15, kind: "guid" },
  ] } as const);
  fc.assert(fc.property(fc.uint8Array({ minLength: 31, maxLength: 31 }), (b) => {
    assert.deepEqual(S.encode(S.decode(b)), b);
  }));
  assert.throws(() => S.encode({ a: 256 }), /does not fit/);
  assert.throws(() => S.decode(new Uint8Array(30)), RangeError);
});

test("fletcher64 matches the definition and skips the checksum field", () => {
  const b = new Uint8Array([1, 0, 0, 0, 2, 0, 0, 0]);
  // lo = 1, hi = 1; lo = 3, hi = 4
  assert.equal(fletcher64(b), (4n << 32n) | 3n);
  const c = new Uint8Array(16); c[0] = 5; c.fill(0xff, 8, 16);
  assert.equal(fletcher64(c, 0, 16, 8), fletcher64(c.slice(0, 8).length === 8 ? Uint8Array.from([5, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]) : c));
  assert.throws(() => fletcher64(new Uint8Array(6)), RangeError);
});

test("GUIDs: EFI byte order, raw printing", () => {
  const pm = guidToBytes("66f0d379-b4f3-4074-ac43-0d3318b78cdb");
  assert.deepEqual([...pm], [0x79, 0xd3, 0xf0, 0x66, 0xf3, 0xb4, 0x74, 0x40, 0xac, 0x43, 0x0d, 0x33, 0x18, 0xb7, 0x8c, 0xdb]);
  assert.equal(rawBytesToText(pm), "79d3f066-f3b4-7440-ac43-0d3318b78cdb");
  assert.equal(bytesToGuid(pm), "66f0d379-b4f3-4074-ac43-0d3318b78cdb");
  fc.assert(fc.property(fc.uuid(), (u) => {
    assert.equal(bytesToGuid(guidToBytes(u)), u);
    assert.equal(rawBytesToText(rawTextToBytes(u)), u);
  }));
});

test("ACPI header: table sums to zero, each validation step has its reason", () => {
  const t = buildAcpiTable({ signature: "TEST", revision: 1, oemId: "BOCHS ", oemTableId: "BXPC    ", oemRevision: 1, aslCompilerId: "BXPC", aslCompilerRevision: 1 }, new Uint8Array([1, 2, 3]));
  assert.equal(byteSum(t), 0);
  assert.equal(AcpiHeader.decode(t).length, 39);
  assert.deepEqual(validateAcpiHeader(t, "TEST"), []);
  assert.equal(validateAcpiHeader(t.subarray(0, 20))[0]?.code, "acpi.truncated");
  assert.equal(validateAcpiHeader(t, "NFIT")[0]?.code, "acpi.signature");
  assert.equal(validateAcpiHeader(t.subarray(0, 38))[0]?.code, "acpi.length");
  const bad = Uint8Array.from(t); bad[38]! ^= 1;
  assert.equal(validateAcpiHeader(bad)[0]?.code, "acpi.checksum");
});

test("parseSize", () => {
  assert.equal(parseSize("128K"), 131072n);
  assert.equal(parseSize("0x20000"), 131072n);
  assert.equal(parseSize("4G"), 4n << 30n);
  assert.equal(parseSize("12x"), undefined);
});

test("humanSize: exact in at most four digits, else three significant ones", () => {
  const cases: [number | bigint, string][] = [
    [0, "0 B"], [4096, "4 KiB"], [131072, "128 KiB"], [1920 * 1024, "1920 KiB"], [8190 * 2 ** 20, "8190 MiB"], [2n ** 30n, "1 GiB"],
    [260832 * 1024, "255 MiB"], [31680 * 1024, "30.9 MiB"], [65664 * 1024, "64.1 MiB"], [327744 * 4096, "1.25 GiB"],
    [12345, "12.1 KiB"], [1048575, "1 MiB"], [2 ** 50, "1024 TiB"],
  ];
  for (const [bytes, want] of cases) assert.equal(humanSize(bytes), want, String(bytes));
  fc.assert(fc.property(fc.nat(), (n) => /^\d+(\.\d+)? (B|KiB|MiB|GiB|TiB)$/.test(humanSize(n))));
});
