// The compiled struct decoder (struct.ts) against a reference written the
// slow, obvious way with a DataView, on random bytes and offsets.
import { test } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import { decodeNfit, defineStruct, encodeNfit, nfitSpaRange, QEMU_NFIT_HEADER } from "../../src/formats/index.js";

const S = defineStruct({
  name: "test struct (every kind)",
  size: 60,
  spec: "test",
  fields: [
    { name: "a", offset: 0, kind: "u8" },
    { name: "b", offset: 1, kind: "u16" },
    { name: "c", offset: 3, kind: "u32" },
    { name: "d", offset: 7, kind: "u64" },
    { name: "g", offset: 15, kind: "guid" },
    { name: "r", offset: 31, size: 3, kind: "reserved" },
    { name: "s", offset: 34, size: 6, kind: "ascii" },
    { name: "long", offset: 40, size: 20, kind: "bytes" },
  ],
} as const);

test("property: the compiled decoder reads what a DataView reads, and copies byte fields", () => {
  fc.assert(fc.property(fc.uint8Array({ minLength: 60, maxLength: 200 }), fc.nat(140), (bytes, at) => {
    const o = at % (bytes.length - 59);
    const v = S.decode(bytes, o);
    const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    assert.equal(v.a, bytes[o]);
    assert.equal(v.b, dv.getUint16(o + 1, true));
    assert.equal(v.c, dv.getUint32(o + 3, true));
    assert.equal(v.d, dv.getBigUint64(o + 7, true));
    assert.deepEqual(v.g, bytes.slice(o + 15, o + 31));
    assert.deepEqual(v.r, bytes.slice(o + 31, o + 34));
    const text = bytes.subarray(o + 34, o + 40);
    const nul = text.indexOf(0);
    assert.equal(v.s, String.fromCharCode(...text.subarray(0, nul < 0 ? 6 : nul)));
    assert.deepEqual(v.long, bytes.slice(o + 40, o + 60));
    // Copies, never views of the input.
    const g = v.g.slice();
    const long = v.long.slice();
    bytes.fill(0, o, o + 60).fill(0xa5, o + 15, o + 16).fill(0x5a, o + 40, o + 60);
    bytes[o + 15] = g[0]! ^ 0xff;
    bytes[o + 40] = long[0]! ^ 0xff;
    assert.deepEqual(v.g, g);
    assert.deepEqual(v.long, long);
  }));
});

test("field names must be identifiers: they become property names in generated code", () => {
  assert.throws(() => defineStruct({ name: "bad", size: 1, spec: "t", fields: [{ name: "a-b", offset: 0, kind: "u8" }] } as const), /identifiers/);
});

test("short sub-structures decode as zero-padded, each from its own bytes (the padding buffer is reused)", () => {
  const nfit = encodeNfit({
    header: QEMU_NFIT_HEADER,
    structures: [
      nfitSpaRange({ rangeIndex: 1, addressRangeBase: 0x1000n, addressRangeLength: 0x2000n }),
      nfitSpaRange({ rangeIndex: 2, addressRangeBase: 0x5000n, addressRangeLength: 0x1000n, flags: 4, locationCookie: 7n }),
      nfitSpaRange({ rangeIndex: 3, addressRangeBase: 0x9000n, addressRangeLength: 0x1000n }),
    ],
  });
  const d = decodeNfit(nfit);
  assert.deepEqual(d.reasons, []);
  assert.deepEqual(d.structures.map((s) => s.kind === "spa" && [s.rangeIndex, s.addressRangeBase, s.locationCookie]), [[1, 0x1000n, 0n], [2, 0x5000n, 7n], [3, 0x9000n, 0n]]);
  assert.deepEqual(encodeNfit({ header: QEMU_NFIT_HEADER, structures: d.structures }), nfit);
});
