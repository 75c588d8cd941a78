import { test } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import {
  aml, encodeAml, pkgLength, pkgLengthValue, decodePkgLength, PKG_LENGTH_MAX, amlTable, buildSsdt,
  AcpiHeader, byteSum, validateAcpiHeader, GUIDS, type AmlTerm,
} from "../../src/formats/index.js";

const hex = (b: Uint8Array): string => Array.from(b, (x) => x.toString(16).padStart(2, "0")).join(" ");
const bytes = (s: string): Uint8Array => Uint8Array.from(s.trim().split(/\s+/), (x) => parseInt(x, 16));
const ascii = (s: string): string => hex(Uint8Array.from(s, (c) => c.charCodeAt(0)));
const enc = (t: AmlTerm | readonly AmlTerm[]): string => hex(encodeAml(t));

test("PkgLength counts itself and picks the smallest of 1-4 bytes", () => {
  assert.equal(hex(pkgLength(0)), "01");
  assert.equal(hex(pkgLength(62)), "3f"); // 63, the one-byte limit
  assert.equal(hex(pkgLength(63)), "41 04"); // 65: two bytes, low nibble first
  assert.equal(hex(pkgLength(4093)), "4f ff"); // 4095, the two-byte limit
  assert.equal(hex(pkgLength(4094)), "81 00 01"); // 4097
  assert.equal(hex(pkgLength(0xfffff - 3)), "8f ff ff"); // 1 MiB − 1, the three-byte limit
  assert.equal(hex(pkgLength(0xfffff - 2)), "c1 00 00 01"); // 0x100001
  assert.equal(hex(pkgLength(PKG_LENGTH_MAX - 4)), "cf ff ff ff");
  assert.throws(() => pkgLength(PKG_LENGTH_MAX - 3), /PkgLength limit/);
  assert.throws(() => pkgLength(-1), RangeError);
});

test("PkgLength values that do not count themselves (field widths)", () => {
  assert.equal(hex(pkgLengthValue(63)), "3f");
  assert.equal(hex(pkgLengthValue(64)), "40 04");
  assert.equal(hex(pkgLengthValue(4095)), "4f ff");
  assert.equal(hex(pkgLengthValue(4096)), "80 00 01");
  assert.equal(hex(pkgLengthValue(32672)), "80 fa 07"); // FARG in QEMU's SSDT
  assert.equal(hex(pkgLengthValue(0xfffff)), "8f ff ff");
  assert.equal(hex(pkgLengthValue(0x100000)), "c0 00 00 01");
  assert.throws(() => pkgLengthValue(PKG_LENGTH_MAX + 1), RangeError);
});

test("PkgLength round-trips through the decoder", () => {
  fc.assert(fc.property(fc.integer({ min: 0, max: PKG_LENGTH_MAX - 4 }), (body) => {
    const e = pkgLength(body);
    const d = decodePkgLength(e);
    assert.equal(d.width, e.length);
    assert.equal(d.value, body + e.length);
  }));
  fc.assert(fc.property(fc.integer({ min: 0, max: PKG_LENGTH_MAX }), (v) => {
    const e = pkgLengthValue(v);
    assert.deepEqual(decodePkgLength(e), { value: v, width: e.length });
  }));
});

test("integers take QEMU's smallest encoding", () => {
  const { Int } = aml;
  assert.equal(enc(Int(0)), "00");
  assert.equal(enc(Int(1)), "01");
  assert.equal(enc(Int(2)), "0a 02");
  assert.equal(enc(Int(0xff)), "0a ff");
  assert.equal(enc(Int(0x100)), "0b 00 01");
  assert.equal(enc(Int(0xffff)), "0b ff ff");
  assert.equal(enc(Int(0x10000)), "0c 00 00 01 00");
  assert.equal(enc(Int(0xffff_ffff)), "0c ff ff ff ff");
  assert.equal(enc(Int(0x1_0000_0000)), "0e 00 00 00 00 01 00 00 00");
  assert.equal(enc(Int(0xffff_ffff_ffff_ffffn)), "0e ff ff ff ff ff ff ff ff");
  assert.equal(enc(aml.Ones), "ff");
  assert.equal(enc(aml.DWordConst(1)), "0c 01 00 00 00");
  assert.equal(enc(aml.WordConst(0)), "0b 00 00");
  assert.throws(() => Int(-1), RangeError);
  assert.throws(() => Int(1n << 64n), RangeError);
  assert.throws(() => Int(2 ** 53), /safe integer/);
  assert.throws(() => aml.ByteConst(256), RangeError);
  fc.assert(fc.property(fc.bigInt({ min: 0n, max: (1n << 64n) - 1n }), (v) => {
    const b = encodeAml(Int(v));
    const width = { 0x0a: 1, 0x0b: 2, 0x0c: 4, 0x0e: 8 }[b[0]!] ?? 0;
    assert.equal(b.length, 1 + width);
    let back = width === 0 ? BigInt(b[0]!) : 0n;
    for (let i = width; i >= 1; i--) back = (back << 8n) | BigInt(b[i]!);
    assert.equal(back, v);
  }));
});

test("names: segments are padded, prefixes and multi-segment paths", () => {
  const { nameString } = aml;
  assert.equal(hex(nameString("NV00")), ascii("NV00"));
  assert.equal(hex(nameString("LEN")), ascii("LEN_"));
  assert.equal(hex(nameString("\\_SB")), `5c ${ascii("_SB_")}`);
  assert.equal(hex(nameString("\\_SB.NVDR")), `5c 2e ${ascii("_SB_NVDR")}`);
  assert.equal(hex(nameString("^^FOO")), `5e 5e ${ascii("FOO_")}`);
  assert.equal(hex(nameString("^A.B")), `5e 2e ${ascii("A___B___")}`);
  assert.equal(hex(nameString("\\_SB.PCI0.S08")), `5c 2f 03 ${ascii("_SB_PCI0S08_")}`);
  assert.equal(hex(nameString("\\")), "5c 00");
  assert.equal(enc(aml.NullName), "00");
  for (const bad of ["", "nv00", "1ABC", "ABCDE", "A..B", "A.", "\\^A", "A-B"]) {
    assert.throws(() => nameString(bad), RangeError, bad);
  }
});

test("data objects: String, Buffer, ToUUID, Package", () => {
  assert.equal(enc(aml.AmlString("ACPI0012")), `0d ${ascii("ACPI0012")} 00`);
  assert.throws(() => aml.AmlString("é"), RangeError);
  assert.equal(enc(aml.AmlBuffer()), "11 02 00");
  assert.equal(enc(aml.AmlBuffer([0])), "11 03 01 00");
  assert.equal(enc(aml.AmlBuffer(new Uint8Array(8))), "11 0b 0a 08 00 00 00 00 00 00 00 00");
  assert.equal(enc(aml.ToUUID(GUIDS.dsmRoot)), "11 13 0a 10 a4 e7 10 2f 91 9e e4 11 89 d3 12 3b 93 f7 5c ba");
  assert.equal(enc(aml.Package([aml.NamePath("OFST")])), `12 06 01 ${ascii("OFST")}`);
  assert.equal(enc(aml.Package([1, 2, 0x1000])), "12 08 03 01 0a 02 0b 00 10");
  assert.equal(enc(aml.VarPackage([1])), "13 03 01 01");
  assert.throws(() => aml.Package(new Array<number>(256).fill(0)), /VarPackage/);
});

test("expressions and statements match the bytes in QEMU's SSDT", () => {
  const { Arg, Local, NamePath: n } = aml;
  assert.equal(enc(aml.Store(n("MEMA"), Local(6))), `70 ${ascii("MEMA")} 66`);
  assert.equal(enc(aml.Subtract(n("RLEN"), 4, Local(1))), `74 ${ascii("RLEN")} 0a 04 61`);
  assert.equal(enc(aml.ShiftLeft(Local(1), 3)), "79 61 0a 03 00");
  assert.equal(enc(aml.LOr(aml.LEqual(Local(6), 0), aml.LNotEqual(Arg(0), Local(0)))), "91 93 66 00 92 93 68 60");
  assert.equal(enc(aml.LAnd(aml.LEqual(aml.ObjectType(Arg(3)), 4), aml.LEqual(aml.SizeOf(Arg(3)), 1))), "90 93 8e 6b 0a 04 93 87 6b 01");
  assert.equal(enc(aml.Store(aml.DerefOf(aml.Index(n("ODAT"), Local(2))), aml.Index(n("TBUF"), 0))), `70 83 88 ${ascii("ODAT")} 62 00 88 ${ascii("TBUF")} 00 00`);
  assert.equal(enc(aml.Concatenate(Local(7), n("TBUF"), Local(7))), `73 67 ${ascii("TBUF")} 67`);
  assert.equal(enc(aml.Increment(Local(2))), "75 62");
  assert.equal(enc(aml.Add(Local(3), Local(1), Local(3))), "72 63 61 63");
  assert.equal(enc(aml.ToBuffer(n("LDAT"), n("LSA"))), `96 ${ascii("LDATLSA_")}`);
  assert.equal(enc(aml.LLess(Local(1), 8)), "95 61 0a 08");
  assert.equal(enc(aml.LLessEqual(Local(1), 8)), "92 94 61 0a 08");
  assert.equal(enc(aml.Return(aml.MethodCall("NCAL", [Arg(0), Arg(1), Arg(2), Arg(3), 0]))), `a4 ${ascii("NCAL")} 68 69 6a 6b 00`);
  assert.equal(enc(aml.Notify(n("\\_SB.NVDR"), 0x80)), `86 5c 2e ${ascii("_SB_NVDR")} 0a 80`);
  assert.throws(() => Local(8), RangeError);
  assert.throws(() => Arg(7), RangeError);
  assert.throws(() => aml.MethodCall("FOO", [0, 0, 0, 0, 0, 0, 0, 0]), RangeError);
});

test("named objects: Name, OperationRegion, Field, Create*Field, Mutex", () => {
  const { NamePath: n, Local } = aml;
  assert.equal(enc(aml.Name("_ADR", 1)), `08 ${ascii("_ADR")} 01`);
  assert.equal(enc(aml.OperationRegion("NPIO", "SystemIO", 0x0a18, 4)), `5b 80 ${ascii("NPIO")} 01 0b 18 0a 0a 04`);
  assert.equal(enc(aml.OperationRegion("NRAM", "SystemMemory", Local(6), 0x1000)), `5b 80 ${ascii("NRAM")} 00 66 0b 00 10`);
  assert.equal(enc(aml.Field("NPIO", { access: "DWordAcc", lock: "NoLock", update: "Preserve" }, [{ name: "NTFI", bits: 32 }])),
    `5b 81 0b ${ascii("NPIO")} 03 ${ascii("NTFI")} 20`);
  assert.equal(enc(aml.Field("REGN", { access: "ByteAcc", lock: "Lock", update: "WriteAsZeros" }, [{ bits: 8 }, { name: "A", bits: 1 }])),
    `5b 81 0d ${ascii("REGN")} 51 00 08 ${ascii("A___")} 01`);
  assert.equal(enc(aml.CreateDWordField(Local(0), 4, "SLSA")), `8a 60 0a 04 ${ascii("SLSA")}`);
  assert.equal(enc(aml.CreateField(n("ODAT"), 0, Local(1), "OBUF")), `5b 13 ${ascii("ODAT")} 00 61 ${ascii("OBUF")}`);
  assert.equal(enc(aml.Mutex("MTX", 3)), `5b 01 ${ascii("MTX_")} 03`);
  assert.equal(enc(aml.Acquire(n("MTX"), 0xffff)), `5b 23 ${ascii("MTX_")} ff ff`);
  assert.equal(enc(aml.Release(n("MTX"))), `5b 27 ${ascii("MTX_")}`);
});

test("containers emit children, then prefix opcode and PkgLength", () => {
  const { Method, Device, Scope, If, Else, ElseIf, While, Return, Arg, Local } = aml;
  assert.equal(enc(Method("_DSM", { args: 4 }, [Return(0)])), `14 08 ${ascii("_DSM")} 04 a4 00`);
  assert.equal(enc(Method("NCAL", { args: 5, serialized: true, syncLevel: 2 }, [])), `14 06 ${ascii("NCAL")} 2d`);
  assert.throws(() => Method("X", { args: 8 }, []), RangeError);
  assert.equal(enc(Device("NV00", [aml.Name("_ADR", 1)])), `5b 82 0b ${ascii("NV00")} 08 ${ascii("_ADR")} 01`);
  assert.equal(enc([If(aml.LEqual(Arg(4), 0), [Return(1)]), ElseIf(aml.LEqual(Arg(4), 2), [Return(2)], [Return(3)])]),
    "a0 06 93 6c 00 a4 01 a1 0f a0 08 93 6c 0a 02 a4 0a 02 a1 04 a4 0a 03");
  assert.equal(enc(Else([])), "a1 01");
  assert.equal(enc(While(1, [aml.Increment(Local(0))])), "a2 04 01 75 60");
  assert.equal(enc([aml.Break, aml.Noop]), "a5 a3");

  // Past 63 bytes the PkgLength takes two: Name is 101 bytes, + "\\_SB_" 5 + 2 = 108 = 0x6c.
  const big = Scope("\\_SB", [aml.Name("BUF", aml.AmlBuffer(new Uint8Array(91)))]);
  const b = encodeAml(big);
  assert.equal(hex(b.subarray(0, 3)), "10 4c 06");
  assert.equal(decodePkgLength(b, 1).value, b.length - 1);
  // A 5000-byte body needs three.
  const huge = encodeAml(Device("HUGE", [aml.Name("BUF", aml.AmlBuffer(new Uint8Array(5000)))]));
  assert.equal(decodePkgLength(huge, 2).width, 3);
  assert.equal(decodePkgLength(huge, 2).value, huge.length - 2);
});

test("terms are immutable and can be emitted many times", () => {
  const body = [aml.Return(1)];
  const m = aml.Method("FOO", { args: 0 }, body);
  const first = enc(m);
  body.push(aml.Return(2));
  assert.equal(enc(m), first);
  assert.equal(enc([m, m]), `${first} ${first}`);
  assert.ok(Object.isFrozen(m));
  const data = [1, 2, 3];
  const buf = aml.AmlBuffer(data);
  data[0] = 9;
  assert.equal(enc(buf), "11 06 0a 03 01 02 03");
});

test("amlTable fixes length and checksum once", () => {
  const header = { revision: 2, oemId: "VNVDIM", oemTableId: "TEST", oemRevision: 7, aslCompilerId: "VNVD", aslCompilerRevision: 1 };
  const t = amlTable("DSDT", header, [aml.Scope("\\_SB", [aml.Device("FOO", [])])]);
  assert.deepEqual(validateAcpiHeader(t, "DSDT"), []);
  assert.equal(AcpiHeader.decode(t).length, t.length);
  assert.equal(byteSum(t), 0);
  assert.deepEqual(t.subarray(36), bytes(`10 0d 5c ${ascii("_SB_")} 5b 82 05 ${ascii("FOO_")}`));
  const s = buildSsdt(header, []);
  assert.equal(s.length, 36);
  assert.equal(AcpiHeader.decode(s).signature, "SSDT");
  fc.assert(fc.property(fc.uint8Array({ maxLength: 3000 }), (data) => {
    const u = buildSsdt(header, [aml.Name("DATA", aml.AmlBuffer(data))]);
    assert.equal(byteSum(u), 0);
    assert.equal(AcpiHeader.decode(u).length, u.length);
  }), { numRuns: 50 });
});
