import { test } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import {
  ArsEngine, GuestDeviceModel, planGuestLayout, decodeArsStatus, arsRecordsFor, ArsCapOut, ArsStartOut,
  ARS_EXT, ARS_MAX_RECORDS, ARS_MAX_QUERY_RESPONSE_BYTES, ARS_STATUS_FLAG_OVERFLOW, ARS_TYPE_PERSISTENT,
  type BadRange, type ArsErrorRecord,
} from "../../src/devicemodel/index.js";
import { DSM_PAGE_BYTES } from "../../src/formats/index.js";
import { KiB128, MiB, GiB, concat, decodeOut, page, u32s, u64s } from "./helpers.js";

const W0 = { handle: 1, gpa: 0x1_0000_0000n, sizeBytes: 256n * MiB };
const W1 = { handle: 2, gpa: 0x1_1000_0000n, sizeBytes: 256n * MiB };

function engine(bad: BadRange[], scrubPolls = 0) {
  return new ArsEngine({ ranges: () => [W0, W1], badRanges: () => bad }, { scrubPolls });
}
const capIn = (address: bigint, length: bigint) => u64s(address, length);
const startIn = (address: bigint, length: bigint, type = ARS_TYPE_PERSISTENT, flags = 0) =>
  concat(u64s(address, length), new Uint8Array([type & 0xff, type >> 8, flags, 0, 0, 0, 0, 0]));
const ext = (statusWord: number) => statusWord >>> 16;
const low = (statusWord: number) => statusWord & 0xffff;

function status(e: ArsEngine) {
  const r = e.handle(3, new Uint8Array(0));
  const d = decodeArsStatus(r.payload)!;
  assert.equal(d.header.outputLength, 4 + r.payload.length, "Output (Size) covers the whole buffer");
  return { low: low(r.status), ext: ext(r.status), ...d };
}

test("Query ARS Capabilities: persistent scrub inside a window, none outside; limits", () => {
  const e = engine([]);
  const r = e.handle(1, capIn(W0.gpa, W0.sizeBytes));
  assert.deepEqual([low(r.status), ext(r.status)], [0, ARS_TYPE_PERSISTENT]);
  const out = ArsCapOut.decode(r.payload);
  assert.equal(out.maxQueryResponseBytes, ARS_MAX_QUERY_RESPONSE_BYTES);
  assert.ok(4 + out.maxQueryResponseBytes <= DSM_PAGE_BYTES);
  assert.equal(ext(e.handle(1, capIn(0n, 4096n)).status), 0);
  assert.equal(ext(e.handle(1, capIn(W0.gpa, W0.sizeBytes + 1n)).status), 0, "runs past the window");
  for (const bad of [capIn(W0.gpa, 0n), capIn(0xffff_ffff_ffff_f000n, 0x2000n), new Uint8Array(15)]) {
    assert.equal(low(e.handle(1, bad).status), 2);
  }
});

test("Query ARS Status before any Start ARS says: no ARS performed", () => {
  const s = status(engine([{ gpa: W0.gpa, lengthBytes: 4096n }]));
  assert.deepEqual([s.low, s.ext, s.records.length], [0, ARS_EXT.NONE, 0]);
});

test("Start ARS then Query ARS Status returns the injected bad ranges that overlap, clipped and merged", () => {
  const bad: BadRange[] = [
    { gpa: W0.gpa + 0x3000n, lengthBytes: 0x1000n },
    { gpa: W0.gpa + 0x1000n, lengthBytes: 0x1000n },
    { gpa: W0.gpa + 0x2000n, lengthBytes: 0x1000n },
    { gpa: W0.gpa - 0x1000n, lengthBytes: 0x2000n },
    { gpa: W1.gpa + 0x5000n, lengthBytes: 0x1000n },
    { gpa: W0.gpa + 0x9000n, lengthBytes: 0n },
  ];
  const e = engine(bad);
  const r = e.handle(2, startIn(W0.gpa, W0.sizeBytes));
  assert.deepEqual([r.status, ArsStartOut.decode(r.payload).estimatedSeconds], [0, 0]);
  const s = status(e);
  assert.deepEqual([s.low, s.ext, s.header.address, s.header.length, s.header.type, s.header.flags], [0, ARS_EXT.DONE, W0.gpa, W0.sizeBytes, ARS_TYPE_PERSISTENT, 0]);
  assert.deepEqual(s.records, [{ handle: 1, address: W0.gpa, length: 0x4000n }], "clipped at the window start, adjacent pages merged");
  e.handle(2, startIn(W1.gpa, W1.sizeBytes));
  assert.deepEqual(status(e).records, [{ handle: 2, address: W1.gpa + 0x5000n, length: 0x1000n }]);
  e.handle(2, startIn(W0.gpa + 0x2000n, 0x800n));
  assert.deepEqual(status(e).records, [{ handle: 1, address: W0.gpa + 0x2000n, length: 0x800n }], "only the requested range");
});

test("Start ARS refuses bad input: empty, overflowing, outside one window, volatile only, short", () => {
  const e = engine([]);
  for (const a of [
    startIn(W0.gpa, 0n), startIn(0xffff_ffff_ffff_f000n, 0x2000n), startIn(W0.gpa, W0.sizeBytes * 2n),
    startIn(0n, 4096n), startIn(W0.gpa, 4096n, 1), startIn(W0.gpa, 4096n, 0), new Uint8Array(23),
  ]) assert.equal(low(e.handle(2, a).status), 2);
  assert.equal(status(e).ext, ARS_EXT.NONE);
});

test("a scrub in progress: status says busy, a second start gets 6, then it completes", () => {
  const bad = [{ gpa: W0.gpa + 0x1000n, lengthBytes: 0x1000n }];
  const e = engine(bad, 2);
  const r = e.handle(2, startIn(W0.gpa, W0.sizeBytes));
  assert.equal(ArsStartOut.decode(r.payload).estimatedSeconds, 1);
  assert.equal(low(e.handle(2, startIn(W1.gpa, W1.sizeBytes)).status), 6);
  assert.deepEqual([status(e).ext, status(e).ext], [ARS_EXT.IN_PROGRESS, ARS_EXT.IN_PROGRESS]);
  bad.push({ gpa: W0.gpa + 0x8000n, lengthBytes: 0x1000n });
  const s = status(e);
  assert.equal(s.ext, ARS_EXT.DONE);
  assert.equal(s.records.length, 2, "the scrub sees ranges that broke while it ran");
  assert.equal(low(e.handle(2, startIn(W1.gpa, W1.sizeBytes, ARS_TYPE_PERSISTENT, 1)).status), 0, "return-previous-data completes at once");
  assert.equal(status(e).ext, ARS_EXT.DONE);
});

test("more records than a page holds: stopped with overflow, and the restart range resumes where it stopped", () => {
  const bad = Array.from({ length: 400 }, (_, i) => ({ gpa: W0.gpa + BigInt(i) * 0x2000n, lengthBytes: 0x1000n }));
  const e = engine(bad);
  const seen: ArsErrorRecord[] = [];
  let start = { address: W0.gpa, length: W0.sizeBytes };
  for (let round = 0; round < 10; round++) {
    assert.equal(e.handle(2, startIn(start.address, start.length)).status, 0);
    const r = e.handle(3, new Uint8Array(0));
    assert.ok(8 + r.payload.length <= DSM_PAGE_BYTES && 4 + r.payload.length <= ARS_MAX_QUERY_RESPONSE_BYTES);
    const s = decodeArsStatus(r.payload)!;
    seen.push(...s.records);
    if (ext(r.status) === ARS_EXT.DONE) break;
    assert.equal(ext(r.status), ARS_EXT.STOPPED);
    assert.equal(s.header.flags & ARS_STATUS_FLAG_OVERFLOW, ARS_STATUS_FLAG_OVERFLOW);
    assert.equal(s.records.length, ARS_MAX_RECORDS);
    start = { address: s.header.restartAddress, length: s.header.restartLength };
  }
  assert.deepEqual(seen.map((r) => r.address), bad.map((b) => b.gpa));
});

test("through the mailbox: root functions 1–3 reach ARS and the records are in guest-physical terms", () => {
  const layout = planGuestLayout({ ramBytes: GiB, vnvdimms: [{ slot: 0, extentBytes: 256n * MiB, labelBytes: KiB128, node: 0, unarmed: false }] });
  const w = layout.windows[0]!;
  const bad: BadRange[] = [];
  const dm = new GuestDeviceModel(layout, { labelStore: () => undefined, badRanges: () => bad, notify: () => {} });
  bad.push({ gpa: w.gpa + 0x10_0000n, lengthBytes: 4096n });
  assert.equal(decodeOut(dm.call(page(0, 1, capIn(w.gpa, w.sizeBytes)))).status, ARS_TYPE_PERSISTENT << 16);
  assert.equal(decodeOut(dm.call(page(0, 2, startIn(w.gpa, w.sizeBytes)))).status, 0);
  const o = decodeOut(dm.call(page(0, 3)));
  assert.equal(o.status, 0);
  assert.deepEqual(decodeArsStatus(o.payload)!.records, [{ handle: 1, address: w.gpa + 0x10_0000n, length: 4096n }]);
  assert.equal(decodeOut(dm.call(page(0, 2, u32s(1)))).status, 2, "a short Start ARS input is invalid input");
});

test("property: records lie inside the requested range, are sorted, disjoint, and cover exactly the bad bytes there", () => {
  const arbBad = fc.array(fc.record({ off: fc.bigInt({ min: -0x10000n, max: 0x30000n }), len: fc.bigInt({ min: -10n, max: 0x8000n }) }), { maxLength: 20 });
  fc.assert(fc.property(arbBad, fc.bigInt({ min: 0n, max: 0x20000n }), fc.bigInt({ min: 1n, max: 0x20000n }), (raw, from, len) => {
    const bad = raw.map((b) => ({ gpa: W0.gpa + b.off, lengthBytes: b.len }));
    const lo = W0.gpa + from, hi = lo + len;
    const recs = arsRecordsFor(bad, 1, lo, hi);
    const isBad = (a: bigint) => bad.some((b) => b.lengthBytes > 0n && a >= b.gpa && a < b.gpa + b.lengthBytes);
    for (const [i, r] of recs.entries()) {
      assert.ok(r.address >= lo && r.address + r.length <= hi && r.length > 0n);
      const next = recs[i + 1];
      if (next) assert.ok(r.address + r.length < next.address, "merged when touching");
    }
    const covered = (a: bigint) => recs.some((r) => a >= r.address && a < r.address + r.length);
    for (let a = lo; a < hi; a += 0x400n) assert.equal(covered(a), isBad(a), `byte ${a.toString(16)}`);
  }), { numRuns: 300 });
});

test("property: any arg3 and function at the ARS engine get a status, never an exception", () => {
  fc.assert(fc.property(fc.nat({ max: 8 }), fc.uint8Array({ maxLength: 40 }), (fn, arg3) => {
    const e = engine([{ gpa: W0.gpa, lengthBytes: 4096n }], 1);
    const r = e.handle(fn, arg3);
    assert.ok(r.payload.length <= DSM_PAGE_BYTES - 8);
    e.handle(3, new Uint8Array(0));
  }), { numRuns: 1000 });
});
