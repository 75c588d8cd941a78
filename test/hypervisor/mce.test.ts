import { test } from "node:test";
import assert from "node:assert/strict";
import { BROKEN, FrameKind, checkInvariants } from "../../src/hypervisor/index.js";
import { DIMM0_MFN, DIMM1_MFN, DIMM_PAGES, boot, must, refusal, setupDimm0, testMachine } from "./machine.js";

for (const pmemMgmt of ["ram", "pmem"] as const) {
  test(`${pmemMgmt}: an MCE makes an owned page broken and raises the owner's event; its gfn faults, the rest works`, () => {
    const hv = boot(testMachine(), { pmemMgmt });
    const { data } = setupDimm0(hv);
    const d = must(hv.domainCreate(0, {})).domid;
    const bystander = must(hv.domainCreate(0, {})).domid;
    must(hv.populatePmemMap(0, d, data[0], 0x500, 100));
    must(hv.populatePmemMap(0, bystander, data[0] + 100, 0, 100));
    assert.deepEqual(must(hv.mceInject(0, data[0] + 42)), { mfn: data[0] + 42, alreadyBroken: false, owner: d, region: "data" });
    assert.deepEqual(hv.frame(data[0] + 42), { state: FrameKind.data | BROKEN, owner: d, gfn: 0x500 + 42, region: "data" });
    assert.deepEqual(hv.domain(d)!.events, [{ type: "mce", mfn: data[0] + 42, gfn: 0x500 + 42, kind: "data" }]);
    assert.deepEqual(hv.domain(bystander)!.events, []);
    assert.deepEqual(refusal(hv.translate(d, 0x500 + 42)), { errno: "EIO", reason: "translate.broken" });
    assert.equal(must(hv.translate(d, 0x500 + 41)), data[0] + 41);
    assert.equal(must(hv.translate(d, 0x500 + 43)), data[0] + 43);
    // Again: no change, no second event.
    assert.deepEqual(must(hv.mceInject(0, data[0] + 42)), { mfn: data[0] + 42, alreadyBroken: true, owner: undefined, region: "data" });
    assert.equal(hv.domain(d)!.takeEvents().length, 1);
    assert.deepEqual(hv.domain(d)!.events, []);
    assert.deepEqual(checkInvariants(hv), []);
    // Released, it stays broken and is never handed out again.
    must(hv.domainDestroy(0, d));
    assert.equal(hv.frame(data[0] + 42)!.state, FrameKind.free | BROKEN);
    const e = must(hv.domainCreate(0, {})).domid;
    assert.deepEqual(refusal(hv.populatePmemMap(0, e, data[0] + 40, 0, 5)), { errno: "EBUSY", reason: "populate.page-broken" });
    must(hv.populatePmemMap(0, e, data[0], 0, 42));
    const info = must(hv.pmemGetRegions(0, "data"))[0]!;
    assert.ok(info.type === "data" && info.brokenPages === 1);
    assert.deepEqual(checkInvariants(hv), []);
  });
}

test("an MCE on a label page tells the owner which label page; on a free or management page nobody is told", () => {
  const hv = boot(testMachine(), { pmemMgmt: "ram" });
  const { mgmt, data } = setupDimm0(hv);
  const d = must(hv.domainCreate(0, {})).domid;
  must(hv.populatePmemMap(0, d, data[0] + 10, 0, 32, "label"));
  must(hv.mceInject(0, data[0] + 12));
  assert.deepEqual(hv.domain(d)!.takeEvents(), [{ type: "mce", mfn: data[0] + 12, gfn: 2, kind: "label" }]);
  assert.equal(hv.frame(data[0] + 12)!.state, FrameKind.label | BROKEN);
  assert.deepEqual(must(hv.mceInject(0, data[0] + 1000)), { mfn: data[0] + 1000, alreadyBroken: false, owner: undefined, region: "data" });
  assert.deepEqual(must(hv.mceInject(0, mgmt[0] + 1)), { mfn: mgmt[0] + 1, alreadyBroken: false, owner: undefined, region: "mgmt" });
  assert.equal(hv.frame(mgmt[0] + 1)!.state, FrameKind.mgmt | BROKEN);
  assert.deepEqual(hv.domain(0)!.events, []);
  assert.deepEqual(checkInvariants(hv), []);
});

test("an MCE before setup is remembered: the data region starts with the page broken, a management region refuses it", () => {
  const hv = boot(testMachine(), { pmemMgmt: "ram" });
  assert.deepEqual(must(hv.mceInject(0, DIMM1_MFN + 7)), { mfn: DIMM1_MFN + 7, alreadyBroken: false, owner: undefined, region: "raw" });
  assert.deepEqual(must(hv.mceInject(0, DIMM1_MFN + 7)).alreadyBroken, true);
  assert.deepEqual(refusal(hv.pmemSetup(0, { type: "mgmt", smfn: DIMM1_MFN, emfn: DIMM1_MFN + 16 })), { errno: "EIO", reason: "setup.broken-page" });
  must(hv.pmemSetup(0, { type: "data", smfn: DIMM1_MFN, emfn: DIMM1_MFN + DIMM_PAGES }));
  assert.equal(hv.frame(DIMM1_MFN + 7)!.state, FrameKind.free | BROKEN);
  assert.deepEqual(refusal(hv.mceInject(0, 0x1000)), { errno: "EINVAL", reason: "mce.not-pmem" });
  assert.deepEqual(refusal(hv.mceInject(0, -5)), { errno: "EINVAL", reason: "mce.mfn" });
  assert.equal(DIMM0_MFN < DIMM1_MFN, true);
});
