import { test } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import { DOMID_FIRST_RESERVED, checkInvariants, isOwned, type HypercallResult, type Hypervisor } from "../../src/hypervisor/index.js";
import { DIMM0_MFN, DIMM1_MFN, boot, must, refusal, setupDimm0, testMachine } from "./machine.js";

const EPERM = { errno: "EPERM", reason: "caller.not-privileged" };

test("only the control domain (or a privileged domain it made) may set up regions, create, destroy and inject", () => {
  const hv = boot(testMachine(), { pmemMgmt: "ram" });
  const { data } = setupDimm0(hv);
  const guest = must(hv.domainCreate(0, {})).domid;
  const other = must(hv.domainCreate(0, {})).domid;
  assert.deepEqual(refusal(hv.pmemGetRegions(guest, "raw")), EPERM);
  assert.deepEqual(refusal(hv.pmemSetup(guest, { type: "mgmt", smfn: DIMM0_MFN + 20000, emfn: DIMM0_MFN + 20001 })), EPERM);
  assert.deepEqual(refusal(hv.domainCreate(guest, {})), EPERM);
  assert.deepEqual(refusal(hv.domainCreate(guest, { privileged: true })), EPERM);
  assert.deepEqual(refusal(hv.domainDestroy(guest, other)), EPERM);
  assert.deepEqual(refusal(hv.mceInject(guest, data[0])), EPERM);
  assert.deepEqual(refusal(hv.populatePmemMap(guest, other, data[0], 0, 1)), EPERM);
  assert.deepEqual(refusal(hv.unmap(guest, other, 0, 1)), EPERM);
  // An unknown caller is refused whatever it asks, before any other check.
  for (const caller of [99, -1, 0.5, Number.NaN]) {
    assert.deepEqual(refusal(hv.pmemGetRegions(caller, "raw")), EPERM);
    assert.deepEqual(refusal(hv.populatePmemMap(caller, guest, data[0], 0, 1)), { errno: "EPERM", reason: "caller.unknown" });
  }
  // A privileged domain made by dom0 may do what dom0 does.
  const priv = must(hv.domainCreate(0, { privileged: true })).domid;
  must(hv.populatePmemMap(priv, other, data[0], 0, 1));
  must(hv.pmemGetRegions(priv, "data"));
  // An unprivileged caller learns nothing about other domids: EPERM, not ESRCH.
  assert.deepEqual(refusal(hv.populatePmemMap(guest, 4000, data[0], 0, 1)), EPERM);
  assert.deepEqual(refusal(hv.populatePmemMap(0, 4000, data[0], 0, 1)), { errno: "ESRCH", reason: "domain.missing" });
});

test("populate and unmap are control-domain only: a guest acting on itself is refused too", () => {
  const hv = boot(testMachine(), { pmemMgmt: "ram" });
  const { data } = setupDimm0(hv);
  const a = must(hv.domainCreate(0, {})).domid;
  const b = must(hv.domainCreate(0, {})).domid;
  must(hv.populatePmemMap(0, a, data[0], 0, 10));
  must(hv.populatePmemMap(0, b, data[0] + 10, 0, 10));
  // Free pages, a free gfn, its own domain: still EPERM, and nothing changes.
  assert.deepEqual(refusal(hv.populatePmemMap(b, b, data[0] + 20, 100, 1)), EPERM);
  assert.deepEqual(refusal(hv.populatePmemMap(b, b, data[0] + 20, 0, 1, "label")), EPERM);
  assert.deepEqual(refusal(hv.unmap(b, b, 0, 10)), EPERM);
  assert.equal(hv.frame(data[0] + 20)?.state, 0);
  assert.equal(hv.domain(b)?.dataPages, 10);
  // Dom0 still may.
  must(hv.unmap(0, b, 0, 10));
});

test("a guest can never reach another domain's pages, management pages or broken pages", () => {
  const hv = boot(testMachine(), { pmemMgmt: "ram" });
  const { mgmt, data } = setupDimm0(hv);
  const a = must(hv.domainCreate(0, {})).domid;
  const b = must(hv.domainCreate(0, {})).domid;
  must(hv.populatePmemMap(0, a, data[0], 0, 100));
  must(hv.populatePmemMap(0, b, data[0] + 100, 0, 100));
  // Each domain reaches only its own mfns, whatever gfn it tries.
  for (let gfn = 0; gfn < 200; gfn++) {
    const ra = hv.translate(a, gfn);
    if (ra.ok) assert.ok(ra.value >= data[0] && ra.value < data[0] + 100);
    const rb = hv.translate(b, gfn);
    if (rb.ok) assert.ok(rb.value >= data[0] + 100 && rb.value < data[0] + 200);
  }
  assert.deepEqual(refusal(hv.translate(a, 100)), { errno: "EFAULT", reason: "translate.unmapped" });
  assert.deepEqual(refusal(hv.translate(a, 2 ** 32)), { errno: "EINVAL", reason: "translate.gfn" });
  assert.deepEqual(refusal(hv.translate(a, -1)), { errno: "EINVAL", reason: "translate.gfn" });
  assert.deepEqual(refusal(hv.translate(77, 0)), { errno: "ESRCH", reason: "domain.missing" });
  // Management pages cannot be populated by anyone, dom0 included.
  assert.deepEqual(refusal(hv.populatePmemMap(0, a, mgmt[0], 1000, 1)), { errno: "EINVAL", reason: "populate.not-data" });
  assert.deepEqual(refusal(hv.populatePmemMap(0, a, mgmt[1] - 1, 1000, 2)), { errno: "EINVAL", reason: "populate.not-data" });
  // A broken page faults.
  must(hv.mceInject(0, data[0] + 5));
  assert.deepEqual(refusal(hv.translate(a, 5)), { errno: "EIO", reason: "translate.broken" });
});

test("domain_create and domain_destroy: domids, self and dom0 protection", () => {
  const hv = boot(testMachine(), { pmemMgmt: "ram" });
  assert.deepEqual(must(hv.domainCreate(0, {})), { domid: 1 });
  assert.deepEqual(must(hv.domainCreate(0, { domid: 7 })), { domid: 7 });
  assert.deepEqual(must(hv.domainCreate(0, {})), { domid: 2 });
  assert.deepEqual(refusal(hv.domainCreate(0, { domid: 7 })), { errno: "EEXIST", reason: "domain.exists" });
  assert.deepEqual(refusal(hv.domainCreate(0, { domid: 0 })), { errno: "EINVAL", reason: "domain.domid" });
  assert.deepEqual(refusal(hv.domainCreate(0, { domid: DOMID_FIRST_RESERVED })), { errno: "EINVAL", reason: "domain.domid" });
  assert.deepEqual(refusal(hv.domainCreate(0, { p2m: "hash" as "tree" })), { errno: "EINVAL", reason: "domain.p2m" });
  assert.deepEqual(refusal(hv.domainDestroy(0, 0)), { errno: "EINVAL", reason: "domain.self" });
  assert.deepEqual(refusal(hv.domainDestroy(0, 9)), { errno: "ESRCH", reason: "domain.missing" });
  const p = must(hv.domainCreate(0, { privileged: true })).domid;
  assert.deepEqual(refusal(hv.domainDestroy(p, p)), { errno: "EINVAL", reason: "domain.self" });
  must(hv.domainDestroy(p, 7));
  assert.deepEqual(hv.domainIds(), [0, 1, 2, p]);
  assert.equal(hv.domain(0)?.privileged, true);
  assert.equal(hv.domain(1)?.privileged, false);
  assert.equal(hv.domain(1)?.p2mKind, "linear");
  assert.equal(hv.domain(must(hv.domainCreate(0, { p2m: "tree" })).domid)?.p2mKind, "tree");
});

/** Who owns what: every owned run (mfn, nr, state, owner, M2P gfn) and every domain's P2M and label pages. */
function ownership(hv: Hypervisor): string {
  const frames = [...hv.frameRuns()].filter((r) => isOwned(r.state)).map((r) => [r.mfn, r.nr, r.state, r.owner, r.gfn]);
  const domains = hv.domainIds().map((id) => [id, [...hv.domain(id)!.p2mExtents()], hv.domain(id)!.labelExtents()]);
  return JSON.stringify({ frames, domains });
}

test("property: no hypercall from a non-control caller gives any domain a page, its own included", () => {
  const op = fc.record({
    // 0: the caller names itself; 1..4: a guest by index; 5: dom0; 6: a domid that does not exist.
    target: fc.nat(6),
    caller: fc.nat(3),
    call: fc.constantFrom("populate-data", "populate-label", "unmap", "destroy", "mce", "setup", "report"),
    mfn: fc.oneof(fc.integer({ min: DIMM0_MFN, max: DIMM0_MFN + 400 }), fc.integer({ min: DIMM1_MFN, max: DIMM1_MFN + 40 })),
    gfn: fc.nat(300),
    nr: fc.integer({ min: 1, max: 40 }),
  });
  fc.assert(fc.property(fc.array(op, { minLength: 1, maxLength: 40 }), fc.nat(3), (ops, seeded) => {
    const hv = boot(testMachine(), { pmemMgmt: "ram" });
    const { data } = setupDimm0(hv, 64, 300);
    const guests = [1, 2, 3, 4].map(() => must(hv.domainCreate(0, {})).domid);
    // Some guests start with pages from dom0, so unmap and destroy have something to take.
    for (let i = 0; i < seeded; i++) must(hv.populatePmemMap(0, guests[i]!, data[0] + 20 * i, 0, 10));
    for (const o of ops) {
      const caller = guests[o.caller]!;
      const target = o.target === 0 ? caller : o.target === 5 ? 0 : o.target === 6 ? 4000 : guests[o.target - 1]!;
      const before = ownership(hv);
      const run = (): HypercallResult<unknown> => {
        switch (o.call) {
          case "populate-data": return hv.populatePmemMap(caller, target, o.mfn, o.gfn, o.nr, "data");
          case "populate-label": return hv.populatePmemMap(caller, target, o.mfn, o.gfn, o.nr, "label");
          case "unmap": return hv.unmap(caller, target, o.gfn, o.nr);
          case "destroy": return hv.domainDestroy(caller, target);
          case "mce": return hv.mceInject(caller, o.mfn);
          case "setup": return hv.pmemSetup(caller, { type: "mgmt", smfn: DIMM1_MFN + o.gfn, emfn: DIMM1_MFN + o.gfn + o.nr });
          case "report": return hv.pmemReportRaw(caller, { smfn: 0x300000 + o.gfn, emfn: 0x300000 + o.gfn + o.nr, pxm: 2 });
        }
      };
      const r = run();
      assert.equal(r.ok ? "ok" : r.errno, "EPERM", `domain ${caller}: ${JSON.stringify(o)}`);
      assert.equal(ownership(hv), before, `domain ${caller}: ${JSON.stringify(o)} changed who owns what`);
      assert.deepEqual(checkInvariants(hv), []);
    }
    // Only the seeded pages are owned, each by the guest dom0 gave it to.
    for (const r of hv.frameRuns()) {
      if (!isOwned(r.state)) continue;
      const i = (r.mfn - data[0]) / 20;
      assert.ok(Number.isInteger(i) && i < seeded && r.owner === guests[i] && r.nr === 10, JSON.stringify(r));
    }
  }), { numRuns: 200 });
});
