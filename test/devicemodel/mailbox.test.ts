import { test } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import { DSM_LABEL_MAX_XFER, DSM_PAGE_BYTES } from "../../src/formats/index.js";
import {
  DsmMailbox, GuestDeviceModel, GuestFit, ARS_FUNCTION_MASK, READ_FIT_MAX_CHUNK_BYTES, planGuestLayout,
  type AcpiNotification, type VnvdimmPlacement,
} from "../../src/devicemodel/index.js";
import { KiB128, MiB, concat, decodeOut, memoryLabelStore, page, readFitLikeAml, u32s, type CheckedStore } from "./helpers.js";

const LABEL_BYTES = 131072;
const placement = (slot: number, extra: Partial<VnvdimmPlacement> = {}): VnvdimmPlacement =>
  ({ slot, extentBytes: 16n * MiB + KiB128, labelBytes: KiB128, node: 0, unarmed: false, ...extra });

function model(nDimms: number, opts: { slots?: number; noLabelSlots?: number[] } = {}) {
  const stores = new Map<number, CheckedStore>();
  const events: AcpiNotification[] = [];
  const layout = planGuestLayout({
    ramBytes: 512n * MiB, slots: opts.slots ?? 4, hotplugReserveBytes: 4n << 30n,
    vnvdimms: Array.from({ length: nDimms }, (_, slot) => placement(slot)),
  });
  const storeFor = (slot: number): CheckedStore => {
    if (!stores.has(slot)) stores.set(slot, memoryLabelStore(LABEL_BYTES, (i) => (i * 13 + slot) & 0xff));
    return stores.get(slot)!;
  };
  const dm = new GuestDeviceModel(layout, {
    labelStore: (slot) => (opts.noLabelSlots?.includes(slot) ? undefined : storeFor(slot)),
    badRanges: () => [],
    notify: (e) => events.push(e),
  });
  return { dm, stores, storeFor, events, call: (p: Uint8Array) => decodeOut(dm.call(p)) };
}

test("revision ≠ 1 gets status 1 for every handle and function, function 0 included", () => {
  const { call } = model(1);
  for (const [handle, fn] of [[0, 0], [0x10000, 0], [0x10000, 1], [1, 0], [1, 4], [1, 5], [9, 5], [0, 2]] as const) {
    for (const rev of [0, 2, 0xffffffff]) {
      assert.deepEqual(call(page(handle, fn, u32s(0, 16), rev)), { len: 8, status: 1, payload: new Uint8Array(0) }, `handle ${handle} fn ${fn} rev ${rev}`);
    }
  }
});

test("root handle 0: QEMU answers mask 0; with ARS the mask is 0xF; other functions are not supported", () => {
  const fit = new GuestFit();
  const qemuLike = new DsmMailbox({ fit, dimm: () => undefined });
  assert.deepEqual(decodeOut(qemuLike.call(page(0, 0))), { len: 8, status: 0, payload: new Uint8Array(0) });
  assert.equal(decodeOut(qemuLike.call(page(0, 1))).status, 1);
  const { call } = model(1);
  assert.equal(call(page(0, 0)).status, ARS_FUNCTION_MASK);
  assert.equal(ARS_FUNCTION_MASK, 0xf);
  for (const fn of [4, 5, 10, 31, 32, 0xffffffff]) assert.deepEqual(call(page(0, fn)), { len: 8, status: 1, payload: new Uint8Array(0) }, `fn ${fn}`);
});

test("handle 0x10000: mask 0x3, Read FIT, and nothing else", () => {
  const { call, dm } = model(1);
  assert.deepEqual(call(page(0x10000, 0)), { len: 8, status: 3, payload: new Uint8Array(0) });
  const r = call(page(0x10000, 1, u32s(0)));
  assert.deepEqual([r.len, r.status], [8 + 184, 0]);
  assert.deepEqual(r.payload, dm.fit.bytes());
  assert.deepEqual(call(page(0x10000, 1, u32s(184))), { len: 8, status: 0, payload: new Uint8Array(0) }, "offset = len: the end");
  assert.deepEqual(call(page(0x10000, 1, u32s(185))), { len: 8, status: 3, payload: new Uint8Array(0) }, "offset > len");
  assert.deepEqual(call(page(0x10000, 1, u32s(0xffffffff))).status, 3);
  for (const fn of [2, 4, 0xffffffff]) assert.equal(call(page(0x10000, fn)).status, 1);
});

test("Read FIT dirty semantics: cold plug leaves it dirty; offset 0 clears; a later chunk while dirty gets 0x100", () => {
  const fit = new GuestFit([{ slot: 0, gpa: 1n << 32n, sizeBytes: 16n * MiB, node: 0, unarmed: false }]);
  assert.equal(fit.dirty, true);
  assert.equal(fit.readFit(8).status, 0x100);
  assert.equal(fit.readFit(0).status, 0);
  assert.equal(fit.dirty, false);
  assert.equal(fit.readFit(8).status, 0);
  fit.plug({ slot: 1, gpa: 2n << 32n, sizeBytes: 16n * MiB, node: 0, unarmed: false });
  assert.equal(fit.readFit(184).status, 0x100);
  assert.equal(fit.readFit(368 + 1).status, 3, "the length check comes before the dirty check");
  assert.equal(fit.readFit(0).payload.length, 368);
});

test("DIMM handles: masks, no such device, label size, and unsupported functions", () => {
  const { call } = model(2, { noLabelSlots: [1] });
  assert.deepEqual(call(page(1, 0)), { len: 8, status: 0x71, payload: new Uint8Array(0) });
  assert.deepEqual(call(page(1, 4)), { len: 16, status: 0, payload: u32s(LABEL_BYTES, DSM_LABEL_MAX_XFER) });
  for (const fn of [1, 2, 3, 7, 8, 0xffffffff]) assert.equal(call(page(1, fn)).status, 1, `fn ${fn}`);
  // A DIMM without a label area: mask 0, then "not supported" (QEMU: label_size 0).
  assert.equal(call(page(2, 0)).status, 0);
  for (const fn of [4, 5, 6]) assert.equal(call(page(2, fn, u32s(0, 8))).status, 1);
  // No such DIMM: function 0 still answers mask 0; everything else is status 2.
  for (const handle of [3, 4, 0xffff, 0x10001, 0xffffffff]) {
    assert.deepEqual(call(page(handle, 0)), { len: 8, status: 0, payload: new Uint8Array(0) }, `handle ${handle}`);
    for (const fn of [1, 4, 5, 6, 7]) assert.equal(call(page(handle, fn, u32s(0, 8))).status, 2, `handle ${handle} fn ${fn}`);
  }
});

test("Get/Set Label Data: QEMU's range checks, and nothing outside the area is touched", () => {
  const { call, storeFor } = model(1);
  const s = storeFor(0);
  const got = call(page(1, 5, u32s(LABEL_BYTES - 16, 16)));
  assert.deepEqual([got.len, got.status], [24, 0]);
  assert.deepEqual(got.payload, s.bytes.slice(LABEL_BYTES - 16));
  assert.equal(call(page(1, 5, u32s(0, DSM_LABEL_MAX_XFER))).payload.length, DSM_LABEL_MAX_XFER);
  for (const [off, len] of [[0, DSM_LABEL_MAX_XFER + 1], [LABEL_BYTES - 8, 16], [LABEL_BYTES, 1], [0xffffffff, 2], [0xfffffff0, 0x20]]) {
    assert.deepEqual(call(page(1, 5, u32s(off!, len!))), { len: 8, status: 3, payload: new Uint8Array(0) }, `read ${off}+${len}`);
  }
  const before = s.bytes.slice();
  for (const [off, len] of [[0, DSM_LABEL_MAX_XFER + 1], [LABEL_BYTES - 4, 8], [0xffffffff, 1]]) {
    assert.equal(call(page(1, 6, u32s(off!, len!))).status, 3, `write ${off}+${len}`);
  }
  assert.deepEqual(s.bytes, before);
  const data = new Uint8Array(DSM_LABEL_MAX_XFER).fill(0x5a);
  assert.deepEqual(call(page(1, 6, concat(u32s(LABEL_BYTES - DSM_LABEL_MAX_XFER, DSM_LABEL_MAX_XFER), data))), { len: 8, status: 0, payload: new Uint8Array(0) });
  assert.deepEqual(s.bytes.slice(LABEL_BYTES - DSM_LABEL_MAX_XFER), data);
  assert.equal(s.outOfRange, 0);
});

test("an unarmed DIMM's label area stays writable, as in QEMU", () => {
  const layout = planGuestLayout({ ramBytes: 512n * MiB, vnvdimms: [placement(0, { unarmed: true })] });
  const s = memoryLabelStore(LABEL_BYTES);
  const dm = new GuestDeviceModel(layout, { labelStore: () => s, badRanges: () => [], notify: () => {} });
  assert.equal(decodeOut(dm.call(page(1, 6, concat(u32s(0, 4), u32s(0xdeadbeef))))).status, 0);
  assert.equal(s.writes, 1);
});

test("a full 128 KiB label area reads back through the mailbox in ⌈131072 / 4076⌉ = 33 calls", () => {
  const { call, storeFor } = model(1);
  const parts: Uint8Array[] = [];
  let calls = 0;
  for (let off = 0; off < LABEL_BYTES; off += DSM_LABEL_MAX_XFER) {
    const o = call(page(1, 5, u32s(off, Math.min(DSM_LABEL_MAX_XFER, LABEL_BYTES - off))));
    calls++;
    assert.equal(o.status, 0);
    parts.push(o.payload);
  }
  assert.equal(calls, 33);
  assert.deepEqual(concat(...parts), storeFor(0).bytes);
});

test("truncated pages are answered with status 3, longer ones read as their first 4096 bytes", () => {
  const { dm } = model(1);
  for (const n of [0, 1, 11, 12, 4095]) assert.deepEqual(decodeOut(dm.call(new Uint8Array(n))), { len: 8, status: 3, payload: new Uint8Array(0) });
  const long = concat(page(1, 0), new Uint8Array(100).fill(0xff));
  assert.equal(decodeOut(dm.call(long)).status, 0x71);
});

test("Read FIT: a FIT of several chunks reassembles to the FIT, 4088 bytes at a time", () => {
  const { dm } = model(40, { slots: 64 });
  const want = dm.fit.bytes();
  assert.equal(want.length, 40 * 184);
  const chunks: number[] = [];
  const r = readFitLikeAml((p) => {
    const out = dm.call(p);
    chunks.push(decodeOut(out).payload.length);
    assert.ok(out.length <= DSM_PAGE_BYTES);
    return out;
  });
  assert.deepEqual(r.fit, want);
  assert.deepEqual(chunks, [READ_FIT_MAX_CHUNK_BYTES, want.length - READ_FIT_MAX_CHUNK_BYTES, 0]);
  assert.equal(r.restarts, 0);
});

test("Read FIT: a hotplug mid-read notifies, answers 0x100, and _FIT restarts to the new FIT", () => {
  const { dm, events } = model(40, { slots: 64 });
  const r = readFitLikeAml((p) => dm.call(p), (i) => {
    if (i === 0) dm.plug(placement(41));
  });
  assert.equal(r.restarts, 1);
  assert.equal(r.fit.length, 41 * 184);
  assert.deepEqual(r.fit, dm.fit.bytes());
  assert.deepEqual(events, [{ device: "\\_SB.NVDR", value: 0x80 }]);
  assert.equal(decodeOut(dm.call(page(42, 0))).status, 0x71, "the new DIMM answers at once");
});

test("hot-unplug (which QEMU cannot do) removes the DIMM's structures, notifies, and its handle goes away", () => {
  const { dm, events } = model(3);
  const before = dm.fit.bytes();
  assert.equal(dm.unplug(1), true);
  assert.equal(dm.unplug(1), false);
  assert.deepEqual(events.map((e) => e.value), [0x80]);
  const after = readFitLikeAml((p) => dm.call(p)).fit;
  assert.deepEqual(after, concat(before.slice(0, 184), before.slice(368)));
  assert.equal(decodeOut(dm.call(page(2, 4))).status, 2);
  assert.equal(decodeOut(dm.call(page(2, 0))).status, 0);
  assert.equal(dm.acpiTables().nfit!.length, 40 + 2 * 184);
});

test("tables: no NFIT without DIMMs, as QEMU; an SSDT while there are slots", () => {
  const layout = planGuestLayout({ ramBytes: 512n * MiB, slots: 2, hotplugReserveBytes: 1n << 30n, vnvdimms: [] });
  const dm = new GuestDeviceModel(layout, { labelStore: () => undefined, badRanges: () => [], notify: () => {} });
  const t = dm.acpiTables();
  assert.equal(t.nfit, undefined);
  assert.ok(t.ssdt && t.ssdt.length > 0);
});

const u32 = fc.oneof(fc.constantFrom(0, 1, 4, 8, 4076, 4077, 4088, 131064, 131072, 0x10000, 0x7fffffff, 0xfffffff0, 0xffffffff), fc.nat({ max: 0xffffffff }));
const arbPage = fc.oneof(
  fc.uint8Array({ maxLength: 4200 }),
  fc.record({
    handle: fc.oneof(fc.constantFrom(0, 1, 2, 3, 0x10000, 0xffffffff), u32),
    revision: fc.oneof(fc.constant(1), u32),
    fn: fc.oneof(fc.integer({ min: 0, max: 8 }), u32),
    words: fc.array(u32, { maxLength: 6 }),
    tail: fc.uint8Array({ maxLength: 64 }),
    cut: fc.option(fc.nat({ max: 4095 }), { freq: 8 }),
  }).map(({ handle, revision, fn, words, tail, cut }) => {
    const p = page(handle, fn, concat(u32s(...words), tail), revision);
    return cut === null ? p : p.slice(0, cut);
  }),
);

test("property: hostile pages never throw, answer ≤ 4096 bytes with a true len, and stay inside the label area", () => {
  const { dm, stores, storeFor } = model(2, { noLabelSlots: [1] });
  const labels = storeFor(0);
  fc.assert(fc.property(fc.array(arbPage, { minLength: 1, maxLength: 8 }), (pages) => {
    for (const p of pages) {
      const before = labels.bytes.slice();
      const out = dm.call(p);
      const o = decodeOut(out);
      assert.ok(out.length >= 8 && out.length <= DSM_PAGE_BYTES);
      assert.equal(o.len, out.length);
      const isWrite = p.length >= 12 && new DataView(p.buffer, p.byteOffset).getUint32(8, true) === 6;
      if (!(isWrite && o.status === 0)) assert.deepEqual(labels.bytes, before);
    }
    for (const s of stores.values()) assert.equal(s.outOfRange, 0);
  }), { numRuns: 3000 });
});
