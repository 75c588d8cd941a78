import { test } from "node:test";
import assert from "node:assert/strict";
import { DOMID_FIRST_RESERVED } from "../../src/hypervisor/index.js";
import { DIMM0_MFN, boot, must, refusal, setupDimm0, testMachine } from "./machine.js";

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

test("a domain may populate and unmap itself (XSM_TARGET), from free pages only", () => {
  const hv = boot(testMachine(), { pmemMgmt: "ram" });
  const { data } = setupDimm0(hv);
  const a = must(hv.domainCreate(0, {})).domid;
  const b = must(hv.domainCreate(0, {})).domid;
  must(hv.populatePmemMap(0, a, data[0], 0, 10));
  must(hv.populatePmemMap(b, b, data[0] + 10, 0, 10));
  // b cannot take a's pages, even by asking for itself.
  assert.deepEqual(refusal(hv.populatePmemMap(b, b, data[0] + 5, 100, 1)), { errno: "EBUSY", reason: "populate.page-owned" });
  must(hv.unmap(b, b, 0, 10));
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
