import { test } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import { handleLabelDsm, encodeDsmOutput, readLabelsInChunks, writeLabelsInChunks, u32Payload, DSM_FN, DSM_STATUS, DSM_LABEL_MAX_XFER, type LabelStore } from "../../src/formats/index.js";

function store(size = 131072): LabelStore & { bytes: Uint8Array; writes: number } {
  const bytes = new Uint8Array(size).map((_, i) => i & 0xff);
  const s = {
    bytes, writes: 0, sizeBytes: size,
    read: (o: number, l: number) => bytes.slice(o, o + l),
    write: (o: number, b: Uint8Array) => { s.writes++; bytes.set(b, o); },
  };
  return s;
}
const arg = (...w: number[]) => { const b = new Uint8Array(w.length * 4); const dv = new DataView(b.buffer); w.forEach((x, i) => dv.setUint32(i * 4, x >>> 0, true)); return b; };
const req = (fn: number, a = new Uint8Array(0)) => ({ handle: 1, revision: 1, function: fn, arg3: a });

test("function 0: mask 0x71 with a label area, 0 without", () => {
  assert.equal(handleLabelDsm(req(0), store()).status, 0x71);
  assert.equal(handleLabelDsm(req(0), undefined).status, 0);
  assert.deepEqual([...encodeDsmOutput(handleLabelDsm(req(0), store()))], [8, 0, 0, 0, 0x71, 0, 0, 0]);
});

test("get label size, get and set label data, with QEMU's limits", () => {
  const s = store();
  const size = handleLabelDsm(req(DSM_FN.GET_LABEL_SIZE), s);
  assert.deepEqual([...size.payload], [...arg(131072, 4076)]);
  const got = handleLabelDsm(req(DSM_FN.GET_LABEL_DATA, arg(256, 16)), s);
  assert.equal(got.status, 0);
  assert.deepEqual([...got.payload], [...s.bytes.slice(256, 272)]);
  const data = new Uint8Array(8).fill(0xaa);
  const set = handleLabelDsm(req(DSM_FN.SET_LABEL_DATA, new Uint8Array([...arg(131064, 8), ...data])), s);
  assert.equal(set.status, 0);
  assert.deepEqual([...s.bytes.slice(131064)], [...data]);
  assert.equal(handleLabelDsm(req(DSM_FN.GET_LABEL_DATA, arg(0, DSM_LABEL_MAX_XFER + 1)), s).status, DSM_STATUS.INVALID_INPUT);
  assert.equal(handleLabelDsm(req(DSM_FN.GET_LABEL_DATA, arg(131072 - 4, 8)), s).status, DSM_STATUS.INVALID_INPUT);
  assert.equal(handleLabelDsm(req(DSM_FN.GET_LABEL_DATA, arg(0xfffffff0, 0x20)), s).status, DSM_STATUS.INVALID_INPUT, "u32 overflow");
  assert.equal(handleLabelDsm(req(DSM_FN.SET_LABEL_DATA, arg(0, 16)), s).status, DSM_STATUS.INVALID_INPUT, "data shorter than length");
  assert.equal(handleLabelDsm(req(7), s).status, DSM_STATUS.NOT_SUPPORTED);
  assert.equal(handleLabelDsm(req(DSM_FN.GET_LABEL_SIZE), undefined).status, DSM_STATUS.NOT_SUPPORTED);
});

test("property: hostile label calls never throw and never touch bytes outside the area", () => {
  fc.assert(fc.property(fc.constantFrom(0, 4, 5, 6, 7, 0xffffffff), fc.nat({ max: 0xffffffff }), fc.nat({ max: 0xffffffff }), fc.uint8Array({ maxLength: 64 }), (fn, off, len, tail) => {
    const s = store(4096);
    const before = Uint8Array.from(s.bytes);
    const r = handleLabelDsm(req(fn, new Uint8Array([...arg(off, len), ...tail])), s);
    assert.ok(r.payload.length <= 4088);
    if (r.status !== 0) assert.deepEqual(s.bytes, before);
    else if (fn === 6) assert.ok(off + len <= 4096);
  }), { numRuns: 2000 });
});

test("label transfer: chunks of max-transfer, in order; a zero max transfer cannot loop forever", () => {
  const area = new Uint8Array(10000).map((_, i) => i & 0xff);
  const calls: [number, number, number][] = [];
  const call = (maxXfer: number) => (fn: number, arg3: Uint8Array): Uint8Array => {
    const dv = new DataView(arg3.buffer, arg3.byteOffset, arg3.byteLength);
    if (fn === DSM_FN.GET_LABEL_SIZE) return u32Payload(area.length, maxXfer);
    calls.push([fn, dv.getUint32(0, true), dv.getUint32(4, true)]);
    if (fn === DSM_FN.GET_LABEL_DATA) return area.slice(dv.getUint32(0, true), dv.getUint32(0, true) + dv.getUint32(4, true));
    area.set(arg3.subarray(8), dv.getUint32(0, true));
    return new Uint8Array(0);
  };
  assert.deepEqual(readLabelsInChunks(call(4076)), area);
  assert.deepEqual(calls.map((c) => c.slice(1)), [[0, 4076], [4076, 4076], [8152, 1848]]);
  assert.equal(readLabelsInChunks(call(0)).length, 0);
  calls.length = 0;
  writeLabelsInChunks(call(4076), 4076, [{ offset: 100, bytes: new Uint8Array(5000).fill(0xee) }]);
  assert.deepEqual(calls.map((c) => c.slice(0, 3)), [[DSM_FN.SET_LABEL_DATA, 100, 4076], [DSM_FN.SET_LABEL_DATA, 4176, 924]]);
  assert.ok(area.subarray(100, 5100).every((b) => b === 0xee));
});
