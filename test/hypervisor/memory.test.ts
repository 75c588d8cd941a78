import { test } from "node:test";
import assert from "node:assert/strict";
import { FrameKind, PAGE_BYTES, checkInvariants, type Hypervisor } from "../../src/hypervisor/index.js";
import { DIMM0_MFN, boot, must, refusal, setupDimm0, testMachine, type TestMachine } from "./machine.js";

/** The media byte offset of a DIMM-0 mfn. */
const at = (mfn: number) => BigInt(mfn - DIMM0_MFN) * BigInt(PAGE_BYTES);

function machine(pmemMgmt: "ram" | "pmem"): { m: TestMachine; hv: Hypervisor; data: [number, number] } {
  const m = testMachine();
  const hv = boot(m, { pmemMgmt, frameChunkPages: 64 });
  return { m, hv, data: setupDimm0(hv).data };
}

for (const pmemMgmt of ["ram", "pmem"] as const) {
  test(`${pmemMgmt}: populate data and label pages; label pages are owned but not mapped`, () => {
    const { hv, data } = machine(pmemMgmt);
    const d = must(hv.domainCreate(0, {})).domid;
    assert.deepEqual(must(hv.populatePmemMap(0, d, data[0], 0x1000, 1000, "data")), { nr: 1000 });
    assert.deepEqual(must(hv.populatePmemMap(0, d, data[0] + 1000, 0, 32, "label")), { nr: 32 });
    assert.equal(must(hv.translate(d, 0x1000 + 999)), data[0] + 999);
    assert.deepEqual(hv.frame(data[0] + 999), { state: FrameKind.data, owner: d, gfn: 0x1000 + 999, region: "data" });
    assert.deepEqual(hv.frame(data[0] + 1005), { state: FrameKind.label, owner: d, gfn: 5, region: "data" });
    // The label's index 5 is not a gfn the guest can reach.
    assert.deepEqual(refusal(hv.translate(d, 5)), { errno: "EFAULT", reason: "translate.unmapped" });
    const view = hv.domain(d)!;
    assert.deepEqual([view.dataPages, view.labelPages], [1000, 32]);
    assert.deepEqual(view.labelExtents(), [{ index: 0, mfn: data[0] + 1000, nr: 32 }]);
    assert.deepEqual([...view.p2mExtents()], [{ gfn: 0x1000, mfn: data[0], nr: 1000, broken: false }]);
    const info = must(hv.pmemGetRegions(0, "data"))[0]!;
    assert.ok(info.type === "data" && info.ownedPages === 1032 && info.placement === pmemMgmt);
    assert.deepEqual(checkInvariants(hv), []);
  });

  test(`${pmemMgmt}: a hot-unplug unmaps label pages by their index, never the data gfn of the same number`, () => {
    const { hv, data } = machine(pmemMgmt);
    const d = must(hv.domainCreate(0, {})).domid;
    // A label index equal to a data gfn: the two spaces are separate.
    must(hv.populatePmemMap(0, d, data[0], 0x100000, 64, "data"));
    must(hv.populatePmemMap(0, d, data[0] + 64, 0x100000, 32, "label"));
    assert.deepEqual(refusal(hv.unmap(0, d, 0x100000, 33, "label")), { errno: "ENOENT", reason: "unmap.not-mapped" });
    assert.deepEqual(must(hv.unmap(0, d, 0x100000, 32, "label")), { nr: 32 });
    assert.equal(must(hv.translate(d, 0x100000)), data[0], "the data mapping stays");
    assert.equal(hv.frame(data[0] + 64)?.state, FrameKind.free, "the label pages are free again");
    assert.deepEqual([hv.domain(d)!.dataPages, hv.domain(d)!.labelPages], [64, 0]);
    assert.deepEqual(checkInvariants(hv), []);
  });

  test(`${pmemMgmt}: populate refuses busy pages, mapped gfns and bad arguments, and changes nothing`, () => {
    const { hv, data } = machine(pmemMgmt);
    const a = must(hv.domainCreate(0, {})).domid;
    const b = must(hv.domainCreate(0, {})).domid;
    must(hv.populatePmemMap(0, a, data[0] + 100, 0, 100));
    must(hv.populatePmemMap(0, a, data[0] + 300, 0, 32, "label"));
    const cases: [string, () => ReturnType<Hypervisor["populatePmemMap"]>, { errno: string; reason: string }][] = [
      ["owned by another", () => hv.populatePmemMap(0, b, data[0] + 150, 0, 10), { errno: "EBUSY", reason: "populate.page-owned" }],
      ["overlapping the tail", () => hv.populatePmemMap(0, b, data[0] + 50, 0, 51), { errno: "EBUSY", reason: "populate.page-owned" }],
      ["a label page", () => hv.populatePmemMap(0, b, data[0] + 310, 0, 1), { errno: "EBUSY", reason: "populate.page-owned" }],
      ["gfn mapped", () => hv.populatePmemMap(0, a, data[0] + 1000, 99, 5), { errno: "EEXIST", reason: "populate.gfn-mapped" }],
      ["label index taken", () => hv.populatePmemMap(0, a, data[0] + 1000, 31, 5, "label"), { errno: "EEXIST", reason: "populate.label-mapped" }],
      ["nr 0", () => hv.populatePmemMap(0, a, data[0] + 1000, 500, 0), { errno: "EINVAL", reason: "populate.range" }],
      ["gfn past 2^32", () => hv.populatePmemMap(0, a, data[0] + 1000, 2 ** 32 - 1, 2), { errno: "EINVAL", reason: "populate.range" }],
      ["negative mfn", () => hv.populatePmemMap(0, a, -1, 500, 1), { errno: "EINVAL", reason: "populate.range" }],
      ["fractional nr", () => hv.populatePmemMap(0, a, data[0], 500, 1.5), { errno: "EINVAL", reason: "populate.range" }],
      ["kind", () => hv.populatePmemMap(0, a, data[0] + 1000, 500, 1, "rom" as "data"), { errno: "EINVAL", reason: "populate.kind" }],
      ["past the data region", () => hv.populatePmemMap(0, a, data[1] - 1, 500, 2), { errno: "EINVAL", reason: "populate.not-data" }],
      ["RAM, not pmem", () => hv.populatePmemMap(0, a, 0x1000, 500, 1), { errno: "EINVAL", reason: "populate.not-data" }],
    ];
    for (const [what, call, want] of cases) assert.deepEqual(refusal(call()), want, what);
    assert.deepEqual([hv.domain(a)!.dataPages, hv.domain(a)!.labelPages, hv.domain(b)!.dataPages], [100, 32, 0]);
    assert.deepEqual(checkInvariants(hv), []);
  });

  test(`${pmemMgmt}: unmap frees the pages; a partly mapped range is ENOENT and unmaps nothing`, () => {
    const { hv, data } = machine(pmemMgmt);
    const d = must(hv.domainCreate(0, {})).domid;
    must(hv.populatePmemMap(0, d, data[0], 0, 100));
    assert.deepEqual(refusal(hv.unmap(0, d, 90, 20)), { errno: "ENOENT", reason: "unmap.not-mapped" });
    assert.deepEqual(refusal(hv.unmap(0, d, 0, 0)), { errno: "EINVAL", reason: "unmap.range" });
    assert.equal(hv.domain(d)!.dataPages, 100);
    must(hv.unmap(0, d, 10, 20));
    assert.equal(hv.frame(data[0] + 15)!.state, FrameKind.free);
    assert.deepEqual(refusal(hv.translate(d, 15)), { errno: "EFAULT", reason: "translate.unmapped" });
    assert.equal(must(hv.translate(d, 30)), data[0] + 30);
    assert.equal(hv.domain(d)!.dataPages, 80);
    // The freed pages can go to another domain.
    const e = must(hv.domainCreate(0, {})).domid;
    must(hv.populatePmemMap(0, e, data[0] + 10, 0, 20));
    assert.deepEqual(checkInvariants(hv), []);
  });

  test(`${pmemMgmt}: destroy releases every page with its contents intact; recreating maps the same data again`, () => {
    const { m, hv, data } = machine(pmemMgmt);
    const media = m.media[0]!;
    const d = must(hv.domainCreate(0, {})).domid;
    must(hv.populatePmemMap(0, d, data[0] + 200, 0, 256));
    must(hv.populatePmemMap(0, d, data[0] + 456, 0, 32, "label"));
    // The guest writes through its P2M; the label area gets a label.
    const mfn = must(hv.translate(d, 17));
    media.write(at(mfn), new TextEncoder().encode("guest data"));
    media.write(at(data[0] + 456), new TextEncoder().encode("label index"));
    assert.deepEqual(must(hv.domainDestroy(0, d)), { dataPages: 256, labelPages: 32 });
    assert.equal(hv.domain(d), undefined);
    for (const mfn of [data[0] + 200, data[0] + 455, data[0] + 456, data[0] + 487]) assert.equal(hv.frame(mfn)!.state, FrameKind.free);
    const info = must(hv.pmemGetRegions(0, "data"))[0]!;
    assert.ok(info.type === "data" && info.ownedPages === 0);
    // Recreate from the same config: the same pages, the same bytes.
    const again = must(hv.domainCreate(0, {})).domid;
    must(hv.populatePmemMap(0, again, data[0] + 200, 0, 256));
    must(hv.populatePmemMap(0, again, data[0] + 456, 0, 32, "label"));
    assert.equal(new TextDecoder().decode(media.read(at(must(hv.translate(again, 17))), 10)), "guest data");
    assert.equal(new TextDecoder().decode(media.read(at(data[0] + 456), 11)), "label index");
    assert.deepEqual(checkInvariants(hv), []);
  });
}

test("extents spanning two adjacent data regions release region by region", () => {
  const hv = boot(testMachine(), { pmemMgmt: "ram" });
  must(hv.pmemSetup(0, { type: "data", smfn: DIMM0_MFN, emfn: DIMM0_MFN + 100 }));
  must(hv.pmemSetup(0, { type: "data", smfn: DIMM0_MFN + 100, emfn: DIMM0_MFN + 200 }));
  const d = must(hv.domainCreate(0, {})).domid;
  must(hv.populatePmemMap(0, d, DIMM0_MFN + 50, 0, 50));
  must(hv.populatePmemMap(0, d, DIMM0_MFN + 100, 50, 50));
  assert.deepEqual([...hv.domain(d)!.p2mExtents()], [{ gfn: 0, mfn: DIMM0_MFN + 50, nr: 100, broken: false }]);
  // One populate may not span them.
  assert.deepEqual(refusal(hv.populatePmemMap(0, d, DIMM0_MFN + 150, 100, 100)), { errno: "EINVAL", reason: "populate.not-data" });
  must(hv.unmap(0, d, 0, 100));
  assert.deepEqual([...hv.frameRuns()].map((r) => [r.mfn, r.nr, r.state]), [[DIMM0_MFN, 100, FrameKind.free], [DIMM0_MFN + 100, 100, FrameKind.free]]);
  assert.deepEqual(checkInvariants(hv), []);
});
