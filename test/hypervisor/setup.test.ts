import { test } from "node:test";
import assert from "node:assert/strict";
import { FaultyMedia, MemoryMedia, hashMedia } from "../../src/media/index.js";
import { FRAME_TABLE_SIGNATURE, FrameTableHeader, bootHypervisor, mgmtPagesNeeded, type Hypervisor, type PmemSetupRequest } from "../../src/hypervisor/index.js";
import { DIMM0_MFN, DIMM1_MFN, DIMM_PAGES, TWO_DIMMS, boot, must, refusal, testMachine } from "./machine.js";

const M0 = DIMM0_MFN;
const mgmt = (smfn: number, emfn: number): PmemSetupRequest => ({ type: "mgmt", smfn, emfn });
const data = (smfn: number, emfn: number, m?: [number, number]): PmemSetupRequest => ({ type: "data", smfn, emfn, mgmtSmfn: m?.[0], mgmtEmfn: m?.[1] });

function ready(pmemMgmt: "ram" | "pmem" = "pmem"): Hypervisor {
  const hv = boot(testMachine(), { pmemMgmt });
  must(hv.pmemSetup(0, mgmt(M0, M0 + 16)));
  return hv;
}

test("each setup rule, violated, is refused with its errno and reason", () => {
  const hv = ready();
  const cases: [string, PmemSetupRequest, { errno: string; reason: string }][] = [
    ["type", { type: "swap" as "mgmt", smfn: M0 + 100, emfn: M0 + 200 }, { errno: "EINVAL", reason: "setup.type" }],
    ["empty range", mgmt(M0 + 100, M0 + 100), { errno: "EINVAL", reason: "setup.range" }],
    ["reversed range", mgmt(M0 + 200, M0 + 100), { errno: "EINVAL", reason: "setup.range" }],
    ["not an integer", mgmt(M0 + 0.5, M0 + 100), { errno: "EINVAL", reason: "setup.range" }],
    ["past 2^40", mgmt(2 ** 40, 2 ** 40 + 1), { errno: "EINVAL", reason: "setup.range" }],
    ["outside any raw region", mgmt(0x180000, 0x180010), { errno: "EINVAL", reason: "setup.outside-raw" }],
    ["across two raw regions (and two proximity domains)", data(M0 + DIMM_PAGES - 8, DIMM1_MFN + 8, [M0, M0 + 16]), { errno: "EINVAL", reason: "setup.outside-raw" }],
    ["running off the end of its raw region", mgmt(M0 + DIMM_PAGES - 8, M0 + DIMM_PAGES + 1), { errno: "EINVAL", reason: "setup.outside-raw" }],
    ["overlapping a management region", mgmt(M0 + 8, M0 + 32), { errno: "EEXIST", reason: "setup.overlap" }],
    ["the same management region twice", mgmt(M0, M0 + 16), { errno: "EEXIST", reason: "setup.overlap" }],
    ["data over management pages", data(M0 + 15, M0 + 100, [M0, M0 + 16]), { errno: "EEXIST", reason: "setup.overlap" }],
    ["data without management, pmem_mgmt=pmem", data(M0 + 100, M0 + 200), { errno: "EINVAL", reason: "setup.mgmt-required" }],
    ["data naming a management region that is not set up", data(M0 + 100, M0 + 200, [M0, M0 + 15]), { errno: "ENOENT", reason: "setup.mgmt-missing" }],
    ["data naming only half a management range", { type: "data", smfn: M0 + 100, emfn: M0 + 200, mgmtSmfn: M0 }, { errno: "EINVAL", reason: "setup.mgmt-range" }],
    ["management in another proximity domain", data(DIMM1_MFN, DIMM1_MFN + 100, [M0, M0 + 16]), { errno: "EINVAL", reason: "setup.mgmt-pxm" }],
    ["management too small for the data's frame table", data(M0 + 16, M0 + DIMM_PAGES, [M0, M0 + 16]), { errno: "ENOSPC", reason: "setup.mgmt-too-small" }],
  ];
  for (const [what, req, want] of cases) assert.deepEqual(refusal(hv.pmemSetup(0, req)), want, what);
  // Nothing was set up by any of them.
  assert.equal(must(hv.pmemGetRegions(0, "data")).length, 0);
  assert.deepEqual(must(hv.pmemGetRegions(0, "mgmt")), [{ type: "mgmt", smfn: M0, emfn: M0 + 16, pxm: 0, usedPages: 0 }]);
});

test("the management area must hold 8 B per data page (plus descriptors and a header page): exactly enough passes", () => {
  const hv = ready();
  // 16 management pages hold 1 header page + 1 descriptor page + 14 pages of records = 7168 data pages.
  assert.equal(mgmtPagesNeeded(7168, 4096), 16);
  assert.equal(mgmtPagesNeeded(7169, 4096), 17);
  assert.deepEqual(refusal(hv.pmemSetup(0, data(M0 + 16, M0 + 16 + 7169, [M0, M0 + 16]))), { errno: "ENOSPC", reason: "setup.mgmt-too-small" });
  const r = must(hv.pmemSetup(0, data(M0 + 16, M0 + 16 + 7168, [M0, M0 + 16])));
  assert.deepEqual(r, {
    type: "data", smfn: M0 + 16, emfn: M0 + 16 + 7168, pxm: 0, mgmtSmfn: M0, mgmtEmfn: M0 + 16, frameTableSmfn: M0, frameTableEmfn: M0 + 16,
    placement: "pmem", freePages: 7168, ownedPages: 0, brokenPages: 0,
  });
  // The management region is now full: a second data region finds no room.
  assert.deepEqual(refusal(hv.pmemSetup(0, data(M0 + 8000, M0 + 8001, [M0, M0 + 16]))), { errno: "ENOSPC", reason: "setup.mgmt-too-small" });
  assert.deepEqual(must(hv.pmemGetRegions(0, "mgmt")), [{ type: "mgmt", smfn: M0, emfn: M0 + 16, pxm: 0, usedPages: 16 }]);
});

test("one management region serves several data regions, each given its own part", () => {
  const hv = ready();
  const a = must(hv.pmemSetup(0, data(M0 + 100, M0 + 600, [M0, M0 + 16])));
  const b = must(hv.pmemSetup(0, data(M0 + 600, M0 + 1100, [M0, M0 + 16])));
  assert.ok(a.type === "data" && b.type === "data");
  assert.deepEqual([a.frameTableSmfn, a.frameTableEmfn, b.frameTableSmfn, b.frameTableEmfn], [M0, M0 + 3, M0 + 3, M0 + 6]);
  const m = must(hv.pmemGetRegions(0, "mgmt"))[0];
  assert.ok(m?.type === "mgmt" && m.usedPages === 6);
});

test("pmem_mgmt=ram: management is optional, and if named it must still be valid", () => {
  const hv = ready("ram");
  const r = must(hv.pmemSetup(0, data(M0 + 100, M0 + 200)));
  assert.ok(r.type === "data" && r.placement === "ram" && r.mgmtSmfn === undefined);
  assert.deepEqual(refusal(hv.pmemSetup(0, data(M0 + 300, M0 + 400, [M0, M0 + 8]))), { errno: "ENOENT", reason: "setup.mgmt-missing" });
  const named = must(hv.pmemSetup(0, data(M0 + 300, M0 + 400, [M0, M0 + 16])));
  assert.ok(named.type === "data" && named.placement === "ram" && named.mgmtSmfn === M0);
});

test("pmem_mgmt=pmem writes only the frame table's part of the management area, and only at setup", () => {
  const m = testMachine();
  const dimm0 = m.media[0] as MemoryMedia;
  dimm0.write(64n * 4096n + 5n, new Uint8Array([42]));
  const dataBefore = hashMedia(dimm0, { offset: 16n * 4096n, length: BigInt(DIMM_PAGES - 16) * 4096n });
  const otherBefore = hashMedia(m.media[1]!);
  const hv = boot(m, { pmemMgmt: "pmem" });
  must(hv.pmemSetup(0, mgmt(M0, M0 + 16)));
  assert.equal(dimm0.allocatedBytes, 4096, "setup-mgmt alone writes nothing");
  must(hv.pmemSetup(0, data(M0 + 16, M0 + 1016, [M0, M0 + 16])));
  const h = FrameTableHeader.decode(dimm0.read(0n, FrameTableHeader.size));
  assert.equal(h.signature, FRAME_TABLE_SIGNATURE);
  assert.equal(h.nrPages, 1000n);
  const { domid } = must(hv.domainCreate(0, {}));
  for (let i = 0; i < 50; i += 2) must(hv.populatePmemMap(0, domid, M0 + 16 + i, 1000 + 7 * i, 1));
  must(hv.mceInject(0, M0 + 20));
  must(hv.domainDestroy(0, domid));
  // The frame table used 3 pages (header, descriptors, records); nothing beyond them changed.
  assert.equal(hashMedia(dimm0, { offset: 16n * 4096n, length: BigInt(DIMM_PAGES - 16) * 4096n }), dataBefore);
  assert.deepEqual(dimm0.read(3n * 4096n, 13 * 4096), new Uint8Array(13 * 4096));
  assert.equal(hashMedia(m.media[1]!), otherBefore);
});

test("pmem_mgmt=pmem: no media behind the management area is ENODEV; a failing write is EIO and sets nothing up", () => {
  const m = testMachine();
  const noMedia = bootHypervisor({ e820: m.e820, nfit: m.nfit, options: { pmemMgmt: "pmem" } });
  must(noMedia.pmemSetup(0, mgmt(M0, M0 + 16)));
  assert.deepEqual(refusal(noMedia.pmemSetup(0, data(M0 + 16, M0 + 100, [M0, M0 + 16]))), { errno: "ENODEV", reason: "setup.mgmt-no-media" });

  const faulty = testMachine(TWO_DIMMS, (inner, i) => (i === 0 ? new FaultyMedia(inner, { failWriteAt: 2 }) : inner));
  const hv = boot(faulty, { pmemMgmt: "pmem" });
  must(hv.pmemSetup(0, mgmt(M0, M0 + 16)));
  assert.deepEqual(refusal(hv.pmemSetup(0, data(M0 + 16, M0 + 100, [M0, M0 + 16]))), { errno: "EIO", reason: "setup.mgmt-io" });
  assert.deepEqual(must(hv.pmemGetRegions(0, "data")), []);
  const mg = must(hv.pmemGetRegions(0, "mgmt"))[0];
  assert.ok(mg?.type === "mgmt" && mg.usedPages === 0, "the failed setup took no management pages");
  // The fault was transient: the retry succeeds.
  must(hv.pmemSetup(0, data(M0 + 16, M0 + 100, [M0, M0 + 16])));
});
