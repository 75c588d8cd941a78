import { test } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import {
  GUIDS, guidToBytes, rawBytesToText, rawTextToBytes, LabelV11, LabelV12, IndexBlockHeader, labelAreaLayout, bestSeq, nextSeq,
  selectIndex, readLabelArea, qemuDimmCookies, initLabelWrites, applyWrites, planLabelUpdate, planLabelDelete,
  labelToInit, decodeLabel, slotOffset, sealIndex, writeLabel, LABEL_FLAGS, type LabelRegion, type Label,
} from "../../src/formats/index.js";
import { fixtureBytes, fixtureJson, manifestCase, FIXTURE_REGION_BYTES, type CaseId } from "../helpers/fixtures.js";

const region: LabelRegion = {
  nmappings: 1, position: 0, mappingDpa: 0n, mappingSizeBytes: FIXTURE_REGION_BYTES,
  cookies: qemuDimmCookies(0), typeGuid: guidToBytes(GUIDS.spaPersistentMemory),
};

test("struct sizes match the spec", () => {
  assert.equal(IndexBlockHeader.size, 72);
  assert.equal(LabelV11.size, 128);
  assert.equal(LabelV12.size, 256);
  assert.equal(LabelV12.offsetOf("typeGuid"), 128);
  assert.equal(LabelV12.offsetOf("checksum"), 248);
});

test("layout: 128 KiB holds 1020 v1.1 or 510 v1.2 slots after two 256-byte index blocks", () => {
  assert.deepEqual(labelAreaLayout(131072, 128), { configSizeBytes: 131072, labelSizeBytes: 128, indexSizeBytes: 256, nslot: 1020, labelOffsetBytes: 512 });
  assert.equal(labelAreaLayout(131072, 256)?.nslot, 510);
  assert.equal(labelAreaLayout(1024, 256), undefined, "fewer than 4 slots");
  assert.equal(labelAreaLayout(0, 128), undefined);
});

test("seq: 1 → 2 → 3 → 1, and best_seq picks the newer", () => {
  assert.deepEqual([1, 2, 3].map(nextSeq), [2, 3, 1]);
  assert.equal(bestSeq(2, 1), 2);
  assert.equal(bestSeq(1, 2), 2);
  assert.equal(bestSeq(3, 1), 1);
  assert.equal(bestSeq(3, 2), 3);
  assert.equal(bestSeq(0, 2), 2);
  assert.equal(bestSeq(2, 0), 2);
  assert.equal(bestSeq(2, 2), 2);
});

for (const c of ["S1", "S2"] as CaseId[]) {
  test(`${c}: index choice, namespaces and read-labels fields match the real guest`, () => {
    const area = fixtureBytes(c, "dimm0.label-area.bin");
    const rl = fixtureJson<{ index: { seq: number; nslot: number; minor: number; labelsize: number }[]; label: Record<string, unknown>[] }[]>(c, "ground-truth/final/read-labels-nmem0.json")[0]!;
    const r = readLabelArea(area, region);
    assert.equal(r.selection.current, 0);
    assert.deepEqual(r.selection.blocks.map((b) => b.fields!.seq), rl.index.map((i) => i.seq));
    assert.deepEqual(r.selection.blocks.map((b) => b.fields!.nslot), rl.index.map((i) => i.nslot));
    assert.equal(r.selection.layout!.labelSizeBytes, rl.index[0]!.labelsize);
    assert.deepEqual(r.reasons, []);
    const m = manifestCase(c);
    assert.deepEqual(
      r.namespaces.map((n) => ({ uuid: n.uuid, name: n.name, dpa: Number(n.dpa), size: Number(n.rawsize) })),
      m.namespaces.map((n) => ({ uuid: n.uuid_sysfs_label, name: n.name, dpa: n.dpa, size: n.size })),
    );
    const cookie = BigInt(m.regions[0]!.cookies_computed_on_host[c === "S1" ? "cookie1_v1.1" : "cookie2_v1.2"]!);
    for (const n of r.namespaces) assert.equal(n.labels[0]!.label.isetcookie, cookie);
    // The UPDATING copy of "sec" sits in a slot that is free in the current index.
    assert.deepEqual(r.stale.map((s) => [s.slot, s.label.name, s.label.flags]), [[0, "sec", LABEL_FLAGS.UPDATING]]);
    // ndctl prints every slot that names itself, stale ones included.
    const printed = [...r.stale, ...r.active].sort((a, b) => a.slot - b.slot);
    assert.deepEqual(printed.map((s) => ({ uuid: rawBytesToText(s.label.uuid), slot: s.slot, dpa: Number(s.label.dpa), flags: s.label.flags })),
      rl.label.map((l) => ({ uuid: l["uuid"], slot: l["slot"], dpa: l["dpa"], flags: l["flags"] })));
    assert.deepEqual(r.available, [{ dpa: 0xc000000n, sizeBytes: FIXTURE_REGION_BYTES - 0xc000000n }]);
  });

  test(`${c}: ndctl init-labels plus the kernel's two-pass creates reproduce the label area byte for byte`, () => {
    const real = fixtureBytes(c, "dimm0.label-area.bin");
    const final = readLabelArea(real, region).namespaces.slice().sort((a, b) => a.labels[0]!.slot - b.labels[0]!.slot);
    let area = applyWrites(new Uint8Array(real.length), initLabelWrites(real.length, c === "S1" ? "1.1" : "1.2"));
    for (const ns of final) area = planLabelUpdate(area, labelToInit(ns.labels[0]!.label)).area;
    assert.deepEqual(area, real);
  });
}

test("a fresh area matches ndctl: seq 3 current, seq 2 other, all slots free", () => {
  for (const v of ["1.1", "1.2"] as const) {
    const area = applyWrites(new Uint8Array(131072), initLabelWrites(131072, v));
    const sel = selectIndex(area);
    assert.equal(sel.current, 0);
    assert.deepEqual(sel.blocks.map((b) => b.fields!.seq), [3, 2]);
    const r = readLabelArea(area, region);
    assert.equal(r.freeSlots, v === "1.1" ? 1020 : 510);
    assert.deepEqual(r.namespaces, []);
  }
});

test("zeroed areas (S3, S4) are label-less", () => {
  for (const c of ["S3", "S4"] as CaseId[]) {
    const r = readLabelArea(fixtureBytes(c, "dimm0.label-area.bin"), region);
    assert.equal(r.labelled, false);
    assert.equal(r.selection.current, -1);
    assert.equal(r.selection.reasons[0]?.code, "area.no-valid-index");
  }
});

// One corruption per validation step, each asserting the exact reason.
function corruptIndex(mutate: (dv: DataView, area: Uint8Array) => void, reseal = true): ReturnType<typeof selectIndex> {
  const area = Uint8Array.from(fixtureBytes("S2", "dimm0.label-area.bin"));
  const dv = new DataView(area.buffer);
  mutate(dv, area);
  if (reseal) sealIndex(area, 0, 256);
  return selectIndex(area);
}
const f = (n: Parameters<typeof IndexBlockHeader.offsetOf>[0]) => IndexBlockHeader.offsetOf(n);

const indexSteps: [string, (dv: DataView, a: Uint8Array) => void, boolean?][] = [
  ["index.signature", (_dv, a) => { a[0] = 0x6e; }],
  ["index.labelsize", (_dv, a) => { a[f("labelsize")] = 2; }],
  ["index.checksum", (_dv, a) => { a[100] = a[100]! ^ 1; }, false],
  ["index.seq", (dv) => dv.setUint32(f("seq"), 4, true)],
  ["index.myoff", (dv) => dv.setBigUint64(f("myoff"), 256n, true)],
  ["index.otheroff", (dv) => dv.setBigUint64(f("otheroff"), 512n, true)],
  ["index.labeloff", (dv) => dv.setBigUint64(f("labeloff"), 256n, true)],
  ["index.mysize", (dv) => dv.setBigUint64(f("mysize"), 8n, true)],
  ["index.nslot", (dv) => dv.setUint32(f("nslot"), 0xffffffff, true)],
];
for (const [code, mutate, reseal] of indexSteps) {
  test(`index block 0 corrupt → ${code}, block 1 becomes current`, () => {
    const sel = corruptIndex(mutate, reseal ?? true);
    const b0 = sel.blocks[0];
    assert.equal(b0.valid, false);
    assert.equal(b0.reasons[0]?.code, code);
    assert.equal(b0.reasons[0]?.["copy"], 0);
    assert.equal(sel.current, 1);
    assert.match(sel.why, new RegExp(`only block 1 is valid \\(block 0: ${code}`));
  });
}

test("a v1.2 area is found by the second (256-byte) probe; a v1.1 area by the first", () => {
  assert.equal(selectIndex(fixtureBytes("S1", "dimm0.label-area.bin")).layout?.labelSizeBytes, 128);
  assert.equal(selectIndex(fixtureBytes("S2", "dimm0.label-area.bin")).layout?.labelSizeBytes, 256);
});

test("a truncated or tiny area gives a reason, not a crash", () => {
  assert.equal(selectIndex(new Uint8Array(100)).reasons[0]?.code, "area.too-small");
  assert.equal(readLabelArea(new Uint8Array(0), region).labelled, false);
});

function withLabel(c: CaseId, slot: number, mutate: (l: Label) => Partial<Label>, keepChecksum = false): Uint8Array {
  const area = Uint8Array.from(fixtureBytes(c, "dimm0.label-area.bin"));
  const sel = selectIndex(area);
  const at = slotOffset(sel.layout!, slot);
  const old = decodeLabel(area, at, sel.layout!.labelSizeBytes);
  const before = area.slice(at + 248, at + 256);
  writeLabel(area, at, sel.layout!.labelSizeBytes, { ...labelToInit(old), ...labelToInit({ ...old, ...mutate(old) }) }, mutate(old).slot ?? slot);
  if (keepChecksum && sel.layout!.labelSizeBytes === 256) area.set(before, at + 248);
  return area;
}

test("label slot checks: slot field, v1.2 checksum", () => {
  const a = readLabelArea(withLabel("S1", 1, () => ({ slot: 7 })), region);
  assert.deepEqual(a.corrupt.map((c) => [c.slot, c.reasons[0]?.code]), [[1, "label.slot"]]);
  const b = readLabelArea(withLabel("S2", 1, (l) => ({ rawsize: l.rawsize + 4096n }), true), region);
  assert.deepEqual(b.corrupt.map((c) => [c.slot, c.reasons[0]?.code]), [[1, "label.checksum"]]);
  // The corrupt label's extent is held back, never reported as free.
  assert.ok(b.suspect.some((e) => e.dpa === 0n));
  assert.ok(!b.available!.some((e) => e.dpa === 0n));
});

const setSteps: [string, (l: Label) => Partial<Label>][] = [
  ["label.dpa", () => ({ dpa: FIXTURE_REGION_BYTES })],
  ["label.isetcookie", () => ({ isetcookie: 0x1234n })],
  ["label.type-guid", () => ({ typeGuid: guidToBytes(GUIDS.spaVolatile) })],
  ["label.nlabel", () => ({ nlabel: 2 })],
  ["label.position", () => ({ position: 1 })],
];
for (const [code, mutate] of setSteps) {
  test(`label set check → ${code}; the set is rejected and its space held back`, () => {
    const r = readLabelArea(withLabel("S2", 2, mutate), region);
    assert.equal(r.namespaces.length, 3);
    assert.equal(r.rejected.length, 1);
    assert.equal(r.rejected[0]!.name, "dev");
    assert.ok(r.rejected[0]!.reasons.some((x) => x.code === code), JSON.stringify(r.rejected[0]!.reasons));
    assert.ok(r.reasons.some((x) => x.code === code));
    if (code !== "label.dpa") assert.ok(!r.available!.some((e) => e.dpa <= 0x4000000n && e.dpa + e.sizeBytes > 0x4000000n));
  });
}

test("duplicate uuid on one DIMM is rejected as conflicting extents", () => {
  const area = Uint8Array.from(fixtureBytes("S1", "dimm0.label-area.bin"));
  const sel = selectIndex(area);
  const fs = decodeLabel(area, slotOffset(sel.layout!, 1), 128);
  const dupArea = withLabel("S1", 2, () => ({ uuid: fs.uuid }));
  const r = readLabelArea(dupArea, region);
  assert.equal(r.rejected[0]?.reasons.some((x) => x.code === "label.duplicate-uuid"), true);
});

test("update protocol: never in place, index alternates, crash after the label write keeps the old set", () => {
  const area = applyWrites(new Uint8Array(131072), initLabelWrites(131072, "1.2"));
  const uuid = rawTextToBytes("11111111-2222-3333-4444-555555555555");
  const init = { uuid, name: "a", isetcookie: region.cookies.v12, dpa: 0n, rawsize: 16n << 20n, typeGuid: region.typeGuid };
  const { writes, area: after } = planLabelUpdate(area, init);
  assert.deepEqual(writes.map((w) => w.what.replace(/ →.*\(/, " (")), ["label a → slot 0 (UPDATING)".replace(/ →.*\(/, " ("), "index block 1 (seq 1)", "label a → slot 1", "index block 0 (seq 2)"]);
  // No write touches the index block that was current when it was made.
  assert.equal(writes[1]!.offset, 256);
  assert.equal(writes[3]!.offset, 0);
  // Crash after only the first label write: the area still reads as empty and valid.
  const crashed = applyWrites(Uint8Array.from(area), writes.slice(0, 1));
  assert.deepEqual(readLabelArea(crashed, region).namespaces, []);
  // Crash after pass 1: the UPDATING label is the namespace.
  const half = applyWrites(Uint8Array.from(area), writes.slice(0, 2));
  assert.equal(readLabelArea(half, region).namespaces[0]?.flags, LABEL_FLAGS.UPDATING);
  const done = readLabelArea(after, region);
  assert.equal(done.namespaces[0]?.name, "a");
  assert.equal(done.namespaces[0]?.flags, 0);
  const del = planLabelDelete(after, "11111111-2222-3333-4444-555555555555");
  assert.equal(del.writes.length, 1);
  assert.deepEqual(readLabelArea(del.area, region).namespaces, []);
  assert.throws(() => planLabelDelete(del.area, "11111111-2222-3333-4444-555555555555"), /no active label/);
  assert.throws(() => planLabelUpdate(new Uint8Array(131072), init), /initialise the label area/);
});

test("property: label encode/decode round-trips (v1.1 and v1.2)", () => {
  fc.assert(fc.property(fc.uint8Array({ minLength: 256, maxLength: 256 }), (b) => {
    assert.deepEqual(LabelV12.encode(LabelV12.decode(b)), b);
    assert.deepEqual(LabelV11.encode(LabelV11.decode(b)), b.subarray(0, 128));
    assert.deepEqual(IndexBlockHeader.encode(IndexBlockHeader.decode(b)), b.subarray(0, 72));
  }));
});

test("property: readLabelArea never throws on mutated fixtures and never mutates its input", () => {
  const base = [fixtureBytes("S1", "dimm0.label-area.bin"), fixtureBytes("S2", "dimm0.label-area.bin")];
  fc.assert(fc.property(fc.integer({ min: 0, max: 1 }), fc.array(fc.tuple(fc.integer({ min: 0, max: 2047 }), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 8 }), (which, muts) => {
    const a = Uint8Array.from(base[which]!);
    for (const [o, v] of muts) a[o] = v;
    const copy = Uint8Array.from(a);
    const r = readLabelArea(a, region);
    assert.deepEqual(a, copy);
    for (const e of r.available ?? []) assert.ok(e.sizeBytes > 0n);
  }), { numRuns: 300 });
});

test("property: any sequence of creates and deletes keeps a valid area whose namespaces match the model", () => {
  fc.assert(fc.property(fc.array(fc.tuple(fc.boolean(), fc.integer({ min: 0, max: 5 })), { maxLength: 25 }), fc.constantFrom("1.1", "1.2" as const), (ops, v) => {
    let area = applyWrites(new Uint8Array(131072), initLabelWrites(131072, v));
    const model = new Set<number>();
    for (const [create, k] of ops) {
      const uuidText = `00000000-0000-0000-0000-00000000000${k}`;
      if (create) {
        area = planLabelUpdate(area, { uuid: rawTextToBytes(uuidText), name: `n${k}`, isetcookie: v === "1.1" ? region.cookies.v11 : region.cookies.v12, dpa: BigInt(k) << 24n, rawsize: 1n << 24n, typeGuid: region.typeGuid }).area;
        model.add(k);
      } else if (model.has(k)) {
        area = planLabelDelete(area, uuidText).area;
        model.delete(k);
      }
    }
    const r = readLabelArea(area, region);
    assert.deepEqual(r.reasons, []);
    assert.deepEqual(r.namespaces.map((n) => n.name).sort(), [...model].sort().map((k) => `n${k}`));
  }), { numRuns: 200 });
});
