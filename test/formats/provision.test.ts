import { test } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import {
  FormatError, GUIDS, INFO_BLOCK_PROBE_BYTES, applyWrites, detectInfoBlock, guidToBytes, initLabelWrites, planProvision,
  qemuLabelRegion, rawBytesToText, rawTextToBytes, readLabelArea, validateProvision,
  type ProvisionInput, type ProvisionMode, type ProvisionNamespace, type ProvisionPlan,
} from "../../src/formats/index.js";
import { fixtureBytes, fixtureJson, manifestCase, FIXTURE_REGION_BYTES, type CaseId } from "../helpers/fixtures.js";

const MiB = 1n << 20n;
const SPA_BASE = 0x1_0000_0000n;
const MODE_OF_GUID = new Map<string, ProvisionMode>([
  [rawBytesToText(guidToBytes(GUIDS.abstractionPfn)), "fsdax"], [rawBytesToText(guidToBytes(GUIDS.abstractionDax)), "devdax"],
  [rawBytesToText(guidToBytes(GUIDS.abstractionBtt2)), "sector"], [rawBytesToText(new Uint8Array(16)), "raw"],
]);

/** Deterministic uuids for tests: 16 bytes counting up from `seed`. */
function uuidMaker(seed: number): () => Uint8Array {
  let n = seed;
  return () => { n++; const b = new Uint8Array(16); new DataView(b.buffer).setUint32(12, n); b[0] = 0xa5; return b; };
}

/** The fixture's four namespaces, with their own label and device uuids. */
function fixtureRequest(c: CaseId): ProvisionInput {
  const m = manifestCase(c);
  return {
    labelAreaBytes: 131072, labels: c === "S1" ? "1.1" : "1.2", slot: 0, mappingSizeBytes: FIXTURE_REGION_BYTES, spaBaseBytes: SPA_BASE,
    namespaces: m.namespaces.map((n): ProvisionNamespace => {
      const host = n.info_block_host_decode as { uuid: string } | undefined;
      return {
        mode: n.mode_ndctl as ProvisionMode, name: n.name, uuid: rawTextToBytes(n.uuid_sysfs_label), dpa: BigInt(n.dpa), sizeBytes: BigInt(n.size),
        ...(host ? { deviceUuid: rawTextToBytes(host.uuid) } : {}), ...(n.mode_ndctl === "sector" ? { sectorSize: 4096 } : {}),
      };
    }),
  };
}

/** The bytes [dpa, dpa+length) of a DIMM that held zeros before the plan's data writes. */
function readData(plan: ProvisionPlan, dpa: bigint, length: number): Uint8Array {
  const out = new Uint8Array(length);
  for (const w of plan.dataWrites) {
    const from = w.dpa > dpa ? w.dpa : dpa;
    const to = w.dpa + BigInt(w.bytes.length) < dpa + BigInt(length) ? w.dpa + BigInt(w.bytes.length) : dpa + BigInt(length);
    if (from < to) out.set(w.bytes.subarray(Number(from - w.dpa), Number(to - w.dpa)), Number(from - dpa));
  }
  return out;
}

function failure(f: () => unknown): string[] {
  try { f(); } catch (e) { assert.ok(e instanceof FormatError, String(e)); return e.reasons.map((r) => r.code); }
  return [];
}

for (const c of ["S1", "S2"] as CaseId[]) {
  test(`${c}: init-labels plus four create-namespace runs reproduce the label area byte for byte`, () => {
    const plan = planProvision(fixtureRequest(c));
    assert.deepEqual(plan.labelArea, fixtureBytes(c, "dimm0.label-area.bin"));
    // The writes, in order, from a zeroed area give the same bytes: init-labels' two index blocks, then per
    // namespace a label with UPDATING, an index, the final label, an index.
    const replayed = applyWrites(new Uint8Array(131072), plan.labelWrites);
    assert.deepEqual(replayed, plan.labelArea);
    assert.deepEqual(plan.labelWrites.slice(0, 2), initLabelWrites(131072, c === "S1" ? "1.1" : "1.2"));
    assert.equal(plan.labelWrites.length, 2 + 4 * 4);
  });

  test(`${c}: the info blocks are the fixture's, byte for byte, and the guest-visible sizes are ndctl's`, () => {
    const plan = planProvision(fixtureRequest(c));
    const m = manifestCase(c);
    for (const n of m.namespaces) {
      const dpa = BigInt(n.dpa);
      const first = fixtureBytes(c, `dimm0.${n.name}.first16k.bin`).slice();
      const last = fixtureBytes(c, `dimm0.${n.name}.last4k.bin`).slice();
      // Clear what the guest wrote afterwards (fx_write_markers): raw's byte-0 and last-512 markers,
      // fs's last-512 marker, and sec's data blocks (LBA 1 and 7 at internal blocks 0 and 1, see btt-layout.test).
      if (n.name === "raw") first.fill(0, 0, 512);
      if (n.name === "raw" || n.name === "fs") last.fill(0, 3584);
      if (n.name === "sec") { const at = c === "S1" ? 8192 : 4096; first.fill(0, at, at + 8192); }
      assert.deepEqual(readData(plan, dpa, 16384), first, `${n.name} first 16 KiB`);
      assert.deepEqual(readData(plan, dpa + BigInt(n.size) - 4096n, 4096), last, `${n.name} last 4 KiB`);
    }
    const list = fixtureJson<{ regions: { namespaces: { name?: string; size: number; mode: string }[] }[] }>(c, "ground-truth/final/ndctl-list.json");
    for (const ns of plan.namespaces) {
      const seen = list.regions[0]!.namespaces.find((x) => x.name === ns.name)!;
      assert.equal(Number(ns.capacityBytes), seen.size, ns.name);
      assert.equal(ns.mode, seen.mode, ns.name);
    }
  });

  test(`${c}: readLabelArea and detectInfoBlock find the four namespaces in their modes`, () => {
    const input = fixtureRequest(c);
    const plan = planProvision(input);
    const report = readLabelArea(plan.labelArea, qemuLabelRegion(0, FIXTURE_REGION_BYTES));
    assert.deepEqual(report.reasons, []);
    assert.deepEqual(report.namespaces.map((n) => [n.name, n.uuid]), input.namespaces.map((n) => [n.name, rawBytesToText(n.uuid!)]));
    for (const ns of plan.namespaces) {
      const found = detectInfoBlock(readData(plan, ns.dpa, INFO_BLOCK_PROBE_BYTES), { parentUuid: ns.uuid, namespaceSizeBytes: ns.sizeBytes, namespaceStartBytes: SPA_BASE + ns.dpa });
      assert.equal(found.mode, ns.mode, ns.name);
      assert.deepEqual(found.reasons, [], ns.name);
    }
  });
}

test("adding to an existing label area: two then two gives the same area as four at once", () => {
  const all = fixtureRequest("S2");
  const first = planProvision({ ...all, namespaces: all.namespaces.slice(0, 2) });
  const second = planProvision({ ...all, existingLabelArea: first.labelArea, namespaces: all.namespaces.slice(2) });
  assert.deepEqual(second.labelArea, fixtureBytes("S2", "dimm0.label-area.bin"));
  assert.equal(second.labelWrites.length, 2 * 4, "no init-labels on a valid area");
  assert.deepEqual(failure(() => planProvision({ ...all, existingLabelArea: first.labelArea, namespaces: all.namespaces.slice(1, 3) })),
    ["provision.uuid", "provision.overlap"]);
});

test("an fsdax image goes where the guest's block device starts, as a copy the caller streams, and must fit", () => {
  const newUuid = uuidMaker(1);
  const base = { labelAreaBytes: 131072, labels: "1.2" as const, slot: 1, newUuid, mappingSizeBytes: 256n * MiB };
  const image = { sizeBytes: 13n };
  const plan = planProvision({ ...base, namespaces: [{ mode: "fsdax", name: "root", dpa: 16n * MiB, sizeBytes: 64n * MiB, image }] });
  const ns = plan.namespaces[0]!;
  assert.equal(ns.dataOffsetBytes, 2n * MiB);
  assert.deepEqual(plan.dataWrites.map((w) => [w.dpa, w.what]), [[16n * MiB + 4096n, `"root" pfn info block`]]);
  assert.deepEqual(plan.imageCopies, [{ namespace: 0, dpa: 18n * MiB, sizeBytes: 13n, what: `"root" filesystem image` }]);
  // Past 4 GiB (no Uint8Array or single read holds that): the plan only carries the size.
  const huge = planProvision({ ...base, mappingSizeBytes: 8192n * MiB, namespaces: [{ mode: "fsdax", dpa: 0n, sizeBytes: 8192n * MiB, image: { sizeBytes: 4096n * MiB + 1n } }] });
  assert.deepEqual(huge.imageCopies.map((c) => [c.dpa, c.sizeBytes]), [[huge.namespaces[0]!.dataOffsetBytes!, 4096n * MiB + 1n]]);
  const big = { sizeBytes: ns.capacityBytes + 1n };
  assert.deepEqual(failure(() => planProvision({ ...base, namespaces: [{ mode: "fsdax", dpa: 0n, sizeBytes: 64n * MiB, image: big }] })), ["provision.image"]);
  assert.deepEqual(failure(() => planProvision({ ...base, namespaces: [{ mode: "raw", dpa: 0n, sizeBytes: 64n * MiB, image }] })), ["provision.image"]);
  assert.equal(planProvision({ ...base, namespaces: [{ mode: "fsdax", dpa: 0n, sizeBytes: 64n * MiB, image: { sizeBytes: ns.capacityBytes } }] }).imageCopies.length, 1);
});

test("uuids not given are made by newUuid: the namespace's first, then the device's", () => {
  const plan = planProvision({ labelAreaBytes: 131072, labels: "1.1", slot: 0, newUuid: uuidMaker(0), namespaces: [{ mode: "sector", dpa: 0n, sizeBytes: 32n * MiB }, { mode: "raw", dpa: 32n * MiB, sizeBytes: 16n * MiB }] });
  assert.deepEqual(plan.namespaces.map((n) => [n.uuid[15], n.deviceUuid?.[15]]), [[1, 2], [3, undefined]]);
  assert.deepEqual(plan.namespaces.map((n) => n.lbasize), [4096n, 512n]);
});

test("validation: one request per refusal, each with its exact reason", () => {
  const ok: ProvisionInput = { labelAreaBytes: 131072, labels: "1.2", slot: 0, newUuid: uuidMaker(9), mappingSizeBytes: 256n * MiB, namespaces: [] };
  const one = (ns: Partial<ProvisionNamespace>, extra: Partial<ProvisionInput> = {}): string[] =>
    validateProvision({ ...ok, ...extra, namespaces: [{ mode: "fsdax", dpa: 0n, sizeBytes: 64n * MiB, ...ns }] }).map((r) => r.code);
  assert.deepEqual(one({}), []);
  assert.deepEqual(one({}, { labelAreaBytes: 1024 }), ["provision.label-area"]);
  assert.deepEqual(one({}, { existingLabelArea: new Uint8Array(4096) }), ["provision.label-area"]);
  const s1 = fixtureBytes("S1", "dimm0.label-area.bin");
  assert.deepEqual(one({ dpa: 0xc000000n, sizeBytes: 32n * MiB }, { existingLabelArea: s1, mappingSizeBytes: FIXTURE_REGION_BYTES }), ["provision.label-version"]);
  assert.deepEqual(one({ dpa: 0xc000000n, sizeBytes: 32n * MiB }, { existingLabelArea: s1, mappingSizeBytes: FIXTURE_REGION_BYTES, labels: "1.1" }), []);
  // 1536 bytes hold 4 v1.2 slots; 4 namespaces need a fifth for the last update's new label.
  const four = Array.from({ length: 4 }, (_, i): ProvisionNamespace => ({ mode: "raw", dpa: BigInt(i) * 16n * MiB, sizeBytes: 16n * MiB }));
  assert.deepEqual(validateProvision({ ...ok, labelAreaBytes: 1536, namespaces: four }).map((r) => r.code), ["provision.label-slots"]);
  assert.deepEqual(validateProvision({ ...ok, labelAreaBytes: 1536, namespaces: four.slice(1) }).map((r) => r.code), []);
  assert.deepEqual(one({ name: "x".repeat(64) }), ["provision.name"]);
  assert.deepEqual(one({ name: " padded" }), ["provision.name"]);
  assert.deepEqual(one({ uuid: new Uint8Array(16) }), ["provision.uuid"]);
  assert.deepEqual(one({}, { newUuid: undefined }), ["provision.uuid", "provision.uuid"]);
  assert.deepEqual(one({ mode: "raw" }, { newUuid: undefined }), ["provision.uuid"]);
  assert.deepEqual(one({ sizeBytes: 8n * MiB }), ["provision.size"]);
  assert.deepEqual(one({ mode: "raw", sizeBytes: 8n * MiB }), ["provision.size"]);
  assert.deepEqual(one({ sizeBytes: 40n * MiB }), ["provision.size"]);
  assert.deepEqual(one({ dpa: 2n * MiB }), ["provision.dpa", "provision.align"]);
  assert.deepEqual(one({ mode: "raw", dpa: 2n * MiB }), ["provision.dpa"]);
  assert.deepEqual(one({ dpa: 240n * MiB }), ["provision.extent"]);
  assert.deepEqual(one({ mode: "sector", sectorSize: 520 }), ["provision.sector-size"]);
  assert.deepEqual(one({ align: 3 * 1024 * 1024 }), ["provision.align"]);
  assert.deepEqual(one({ mode: "devdax", align: 1 << 30 }), ["provision.align"]);
  assert.deepEqual(one({ mode: "raw", align: 4096 }), ["provision.align"]);
  assert.deepEqual(one({}, { spaBaseBytes: 0x100200000n }), ["provision.align"]);
  assert.deepEqual(one({ mode: "sector", sizeBytes: 16n * MiB }, { labels: "1.1" }), ["provision.layout"]);
  assert.deepEqual(one({ mode: "sector", sizeBytes: 16n * MiB }, { labels: "1.2" }), []);
  assert.deepEqual(one({ mode: "devdax", image: { sizeBytes: 1n } }), ["provision.image"]);
  const two = (b: Partial<ProvisionNamespace>): string[] => validateProvision({ ...ok, namespaces: [
    { mode: "raw", dpa: 0n, sizeBytes: 32n * MiB, uuid: new Uint8Array(16).fill(7) }, { mode: "raw", dpa: 32n * MiB, sizeBytes: 32n * MiB, ...b },
  ] }).map((r) => r.code);
  assert.deepEqual(two({}), []);
  assert.deepEqual(two({ dpa: 16n * MiB }), ["provision.overlap"]);
  assert.deepEqual(two({ uuid: new Uint8Array(16).fill(7) }), ["provision.uuid"]);
  assert.deepEqual(failure(() => planProvision({ ...ok, namespaces: [{ mode: "fsdax", dpa: 1n, sizeBytes: 1n }] })), ["provision.size", "provision.dpa", "provision.align"]);
});

interface Shape { mode: ProvisionMode; sizeUnits: number; gapUnits: number; sectorSize: number | undefined; named: boolean }
const shape: fc.Arbitrary<Shape> = fc.record({
  mode: fc.constantFrom<ProvisionMode>("fsdax", "devdax", "sector", "raw"), sizeUnits: fc.integer({ min: 1, max: 24 }),
  gapUnits: fc.integer({ min: 0, max: 3 }), sectorSize: fc.constantFrom(undefined, 512, 4096), named: fc.boolean(),
});

test("property: valid namespace sets validate clean, detect in their modes, and write only inside their extents", () => {
  fc.assert(fc.property(fc.constantFrom<"1.1" | "1.2">("1.1", "1.2"), fc.array(shape, { minLength: 1, maxLength: 6 }), fc.nat(3), (labels, shapes, slot) => {
    const unit = 16n * MiB;
    let at = 0n;
    const namespaces: ProvisionNamespace[] = shapes.map((s, i) => {
      // BTT 1.1 starts at 4 KiB, so a 16 MiB sector namespace has no room for an arena under v1.1 labels.
      const units = s.mode === "sector" && labels === "1.1" ? Math.max(2, s.sizeUnits) : s.sizeUnits;
      const ns: ProvisionNamespace = {
        mode: s.mode, dpa: at + BigInt(s.gapUnits) * unit, sizeBytes: BigInt(units) * unit,
        ...(s.named ? { name: `ns${i}` } : {}), ...(s.sectorSize !== undefined ? { sectorSize: s.sectorSize } : {}),
      };
      at = ns.dpa + ns.sizeBytes;
      return ns;
    });
    const mappingSizeBytes = at + 16n * MiB;
    const plan = planProvision({ labelAreaBytes: 131072, labels, slot, namespaces, mappingSizeBytes, newUuid: uuidMaker(100), spaBaseBytes: SPA_BASE });
    const report = readLabelArea(plan.labelArea, qemuLabelRegion(slot, mappingSizeBytes));
    assert.deepEqual(report.reasons, []);
    assert.equal(report.namespaces.length, namespaces.length);
    for (const ns of plan.namespaces) {
      const label = report.namespaces.find((n) => n.uuid === rawBytesToText(ns.uuid))!;
      assert.equal(label.dpa, ns.dpa);
      assert.equal(label.rawsize, ns.sizeBytes);
      if (labels === "1.2") assert.equal(MODE_OF_GUID.get(rawBytesToText(label.abstractionGuid!)), ns.mode);
      const found = detectInfoBlock(readData(plan, ns.dpa, INFO_BLOCK_PROBE_BYTES), { parentUuid: ns.uuid, namespaceSizeBytes: ns.sizeBytes, namespaceStartBytes: SPA_BASE + ns.dpa });
      assert.equal(found.mode, ns.mode);
      assert.deepEqual(found.reasons, []);
      const inside = (dpa: bigint, size: bigint): boolean => dpa >= ns.dpa && dpa + size <= ns.dpa + ns.sizeBytes;
      const mine = [
        ...plan.dataWrites.filter((w) => w.dpa >= ns.dpa && w.dpa < ns.dpa + ns.sizeBytes).map((w) => [w.dpa, BigInt(w.bytes.length)] as const),
        ...plan.zeroFills.filter((z) => z.dpa >= ns.dpa && z.dpa < ns.dpa + ns.sizeBytes).map((z) => [z.dpa, z.sizeBytes] as const),
      ];
      for (const [dpa, size] of mine) assert.ok(inside(dpa, size), `write at ${dpa}+${size} leaves ${ns.name ?? ""}`);
    }
    const total = plan.dataWrites.length + plan.zeroFills.length;
    const owned = plan.namespaces.reduce((n, ns) => n + [...plan.dataWrites, ...plan.zeroFills].filter((w) => w.dpa >= ns.dpa && w.dpa < ns.dpa + ns.sizeBytes).length, 0);
    assert.equal(owned, total, "every write belongs to exactly one namespace");
  }), { numRuns: 60 });
});
