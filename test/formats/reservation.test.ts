import { test } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import {
  ReservationBody, encodeReservation, validateReservation, planReservation, detectInfoBlock, RESERVATION_FLAGS, RESERVATION_BODY_OFFSET,
  RESERVATION_RECORD_BYTES, BttSb, PfnSb, rawTextToBytes, sealInfoBlock, signatureBytes,
} from "../../src/formats/index.js";

const U = rawTextToBytes("11111111-2222-3333-4444-555555555555");
const P = rawTextToBytes("aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee");
const GiB = 1n << 30n;

function record(over: Partial<Parameters<typeof encodeReservation>[0]> = {}): Uint8Array {
  const plan = planReservation(8n * GiB, { mgmtInPmem: true, bytesPerPage: 16 })!;
  return encodeReservation({ uuid: U, parentUuid: P, flags: RESERVATION_FLAGS.MGMT_IN_PMEM, bytesPerPage: 16, align: 2 << 20, ...plan, ...over });
}

/** Offset of a body field in a v2 record. */
const at = (field: Parameters<typeof ReservationBody.offsetOf>[0]): number => RESERVATION_BODY_OFFSET[2] + ReservationBody.offsetOf(field);

test("the record is one 4 KiB info-block frame: an nd_pfn_sb with the body in its padding", () => {
  assert.equal(RESERVATION_RECORD_BYTES, 4096);
  assert.equal(PfnSb.size, RESERVATION_RECORD_BYTES);
  assert.equal(BttSb.size, RESERVATION_RECORD_BYTES);
  assert.ok(RESERVATION_BODY_OFFSET[2] >= PfnSb.offsetOf("padding"));
  assert.ok(RESERVATION_BODY_OFFSET[2] + ReservationBody.size <= PfnSb.offsetOf("checksum"));
});

test("a planned record validates and round-trips", () => {
  const b = record();
  const v = validateReservation(b, { namespaceSizeBytes: 8n * GiB, parentUuid: P });
  assert.deepEqual(v.reasons, []);
  assert.equal(v.record!.owner, "vnvdimm");
  assert.equal(v.record!.parentUuid, "aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee");
  assert.equal(v.record!.version, "2.0");
  assert.equal(v.record!.guarded, true);
  const body = b.subarray(RESERVATION_BODY_OFFSET[2], RESERVATION_BODY_OFFSET[2] + ReservationBody.size);
  assert.deepEqual(ReservationBody.encode(ReservationBody.decode(body)), body);
});

test("Linux takes it for an fsdax info block that it must refuse (nd_pfn_validate: -EOPNOTSUPP), so the namespace stays unbound", () => {
  const ns = new Uint8Array(16384);
  ns.set(record(), 4096);
  const d = detectInfoBlock(ns, { parentUuid: P, namespaceSizeBytes: 8n * GiB });
  assert.equal(d.kind, "pfn");
  // The first check it fails is the page-size one, which Linux 5.4+ answers with -EOPNOTSUPP (no raw fallback).
  assert.equal(d.reasons[0]?.code, "pfn.page-size", d.reasons.map((r) => r.code).join(", "));
  assert.ok(d.reasons.some((r) => r.code === "pfn.page-struct-size"));
});

test("a v1 record (the body at the frame's start, no guard) is still read, and says it is unguarded", () => {
  const plan = planReservation(8n * GiB, { mgmtInPmem: true, bytesPerPage: 16 })!;
  const b = new Uint8Array(4096);
  b.set(ReservationBody.encode({
    signature: signatureBytes("PMEM_HV_RESERVE"), uuid: U, parentUuid: P, flags: 1, versionMajor: 1, versionMinor: 0, bytesPerPage: 16, pageSize: 4096,
    align: 2 << 20, owner: signatureBytes("vnvdimm"), ...plan,
  }), 0);
  sealInfoBlock(b);
  const v = validateReservation(b, { namespaceSizeBytes: 8n * GiB, parentUuid: P });
  assert.deepEqual(v.reasons, []);
  assert.equal(v.record!.version, "1.0");
  assert.equal(v.record!.guarded, false);
  assert.equal(detectInfoBlock(Uint8Array.from([...new Uint8Array(4096), ...b])).kind, "none", "Linux sees no info block in a v1 record");
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
  ["rsv.signature", (b) => { b[at("signature")] = 0x41; }],
  ["rsv.checksum", (b) => { b[300] = 1; }, false],
  ["rsv.version", (_b, dv) => dv.setUint16(at("versionMajor"), 3, true)],
  ["rsv.guard", (_b, dv) => dv.setUint32(PfnSb.offsetOf("pageSize"), 4096, true)],
  ["rsv.guard", (b) => { b[PfnSb.offsetOf("parentUuid")]! ^= 1; }],
  ["rsv.page-size", (_b, dv) => dv.setUint32(at("pageSize"), 8192, true)],
  ["rsv.parent-uuid", (b) => { b[at("parentUuid")] = 0x12; b[PfnSb.offsetOf("parentUuid")] = 0x12; }],
  ["rsv.align", (_b, dv) => dv.setBigUint64(at("dataOffset"), (4n << 20n) + 4096n, true)],
  ["rsv.bounds", (_b, dv) => dv.setBigUint64(at("dataSize"), 9n * GiB, true)],
  ["rsv.overlap", (_b, dv) => dv.setBigUint64(at("dataOffset"), 2n << 20n, true)],
  ["rsv.mgmt-size", (_b, dv) => dv.setBigUint64(at("mgmtSize"), 2n << 20n, true)],
];
for (const [i, [code, mutate, reseal]] of steps.entries()) {
  test(`corrupt record ${i} → ${code}`, () => {
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
