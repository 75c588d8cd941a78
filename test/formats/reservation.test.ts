import { test } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import {
  ReservationRecord, encodeReservation, validateReservation, planReservation, detectInfoBlock, RESERVATION_FLAGS,
  PFN_SIGNATURE, BttSb, PfnSb, rawTextToBytes, sealInfoBlock,
} from "../../src/formats/index.js";

const U = rawTextToBytes("11111111-2222-3333-4444-555555555555");
const P = rawTextToBytes("aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee");
const GiB = 1n << 30n;

function record(over: Partial<Parameters<typeof encodeReservation>[0]> = {}): Uint8Array {
  const plan = planReservation(8n * GiB, { mgmtInPmem: true, bytesPerPage: 16 })!;
  return encodeReservation({ uuid: U, parentUuid: P, flags: RESERVATION_FLAGS.MGMT_IN_PMEM, bytesPerPage: 16, align: 2 << 20, ...plan, ...over });
}

test("the record is one 4 KiB block sharing nd_gen_sb's checksum slot", () => {
  assert.equal(ReservationRecord.size, 4096);
  assert.equal(ReservationRecord.offsetOf("checksum"), 4088);
  assert.equal(PfnSb.size, ReservationRecord.size);
  assert.equal(BttSb.size, ReservationRecord.size);
});

test("a planned record validates and round-trips", () => {
  const b = record();
  const v = validateReservation(b, { namespaceSizeBytes: 8n * GiB, parentUuid: P });
  assert.deepEqual(v.reasons, []);
  assert.equal(v.record!.owner, "vnvdimm");
  assert.equal(v.record!.parentUuid, "aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee");
  assert.deepEqual(ReservationRecord.encode(ReservationRecord.decode(b)), b);
});

test("Linux cannot mistake it for an info block: the namespace reads as raw", () => {
  const ns = new Uint8Array(16384);
  ns.set(record(), 4096);
  const d = detectInfoBlock(ns);
  assert.equal(d.kind, "none");
  assert.equal(d.mode, "raw");
  assert.notEqual(new TextDecoder().decode(ns.subarray(4096, 4111)), PFN_SIGNATURE);
});

test("plan: mgmt first, data after, both aligned, mgmt big enough; ram placement has no mgmt area", () => {
  for (const size of [64n << 20n, 8n * GiB, 1025n * GiB]) {
    const p = planReservation(size, { mgmtInPmem: true, bytesPerPage: 16 })!;
    assert.ok(p.mgmtSize >= (p.dataSize / 4096n) * 16n);
    assert.equal(p.dataOffset, p.mgmtOffset + p.mgmtSize);
    assert.ok(p.dataOffset + p.dataSize <= size);
    assert.equal(p.dataOffset % (2n << 20n), 0n);
    const r = planReservation(size, { mgmtInPmem: false, bytesPerPage: 16 })!;
    assert.equal(r.mgmtSize, 0n);
    assert.equal(r.dataOffset, 2n << 20n);
  }
  assert.equal(planReservation(2n << 20n, { mgmtInPmem: false, bytesPerPage: 16 }), undefined);
});

const steps: [string, (b: Uint8Array, dv: DataView) => void, boolean?][] = [
  ["rsv.signature", (b) => { b[0] = 0x41; }],
  ["rsv.checksum", (b) => { b[200] = 1; }, false],
  ["rsv.version", (_b, dv) => dv.setUint16(ReservationRecord.offsetOf("versionMajor"), 2, true)],
  ["rsv.page-size", (_b, dv) => dv.setUint32(ReservationRecord.offsetOf("pageSize"), 8192, true)],
  ["rsv.parent-uuid", (b) => { b[ReservationRecord.offsetOf("parentUuid")] = 0x12; }],
  ["rsv.align", (_b, dv) => dv.setBigUint64(ReservationRecord.offsetOf("dataOffset"), (4n << 20n) + 4096n, true)],
  ["rsv.bounds", (_b, dv) => dv.setBigUint64(ReservationRecord.offsetOf("dataSize"), 9n * GiB, true)],
  ["rsv.overlap", (_b, dv) => dv.setBigUint64(ReservationRecord.offsetOf("dataOffset"), 2n << 20n, true)],
  ["rsv.mgmt-size", (_b, dv) => dv.setBigUint64(ReservationRecord.offsetOf("mgmtSize"), 2n << 20n, true)],
];
for (const [code, mutate, reseal] of steps) {
  test(`corrupt record → ${code}`, () => {
    const b = record();
    mutate(b, new DataView(b.buffer));
    if (reseal ?? true) sealInfoBlock(b);
    const v = validateReservation(b, { namespaceSizeBytes: 8n * GiB, parentUuid: P });
    assert.equal(v.reasons[0]?.code, code, JSON.stringify(v.reasons));
  });
}

test("property: validateReservation never throws and never mutates", () => {
  const base = record();
  fc.assert(fc.property(fc.array(fc.tuple(fc.integer({ min: 0, max: 4095 }), fc.integer({ min: 0, max: 255 })), { maxLength: 6 }), fc.integer({ min: 0, max: 4096 }), fc.boolean(), (muts, cut, reseal) => {
    const b = Uint8Array.from(base);
    for (const [o, v] of muts) b[o] = v;
    if (reseal) sealInfoBlock(b);
    const input = b.subarray(0, cut === 4096 ? 4096 : cut);
    const copy = Uint8Array.from(input);
    validateReservation(input, { namespaceSizeBytes: 8n * GiB });
    assert.deepEqual(input, copy);
  }), { numRuns: 500 });
});
