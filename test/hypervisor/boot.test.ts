import { test } from "node:test";
import assert from "node:assert/strict";
import { E820Type, encodeE820, fixChecksum } from "../../src/formats/index.js";
import { FaultyMedia, hashMedia } from "../../src/media/index.js";
import { bootHypervisor, rawRegionsFromFirmware } from "../../src/hypervisor/index.js";
import { fixtureBytes } from "../helpers/fixtures.js";
import { DIMM0_MFN, DIMM1_MFN, DIMM_PAGES, GiB, MiB, TWO_DIMMS, boot, e820For, must, nfitFor, refusal, testMachine } from "./machine.js";

const codes = (rs: readonly { code: string }[]) => rs.map((r) => r.code);

test("raw regions from a real QEMU NFIT (fixture S3): one PM range, proximity domain 0", () => {
  const nfit = fixtureBytes("S3", "acpi/NFIT.bin");
  const { regions, reasons } = rawRegionsFromFirmware(new Uint8Array(0), nfit);
  assert.deepEqual(reasons, []);
  // 0x1_0000_0000 + 0xffe_0000 bytes: 65504 pages from mfn 0x100000.
  assert.deepEqual(regions, [{ smfn: 0x100000, emfn: 0x100000 + 65504, pxm: 0, source: "nfit" }]);
});

test("raw regions: NFIT ranges win over the E820 entries that repeat them; E820-only pmem is a region without pxm", () => {
  const extra = { addr: 0x4_0000_0000n, sizeBytes: 16n * MiB, type: E820Type.pmem };
  const legacy = { addr: 0x5_0000_0000n, sizeBytes: 8n * MiB + 100n, type: E820Type.legacyPmem };
  const { regions, reasons } = rawRegionsFromFirmware(e820For(TWO_DIMMS, [extra, legacy]), nfitFor(TWO_DIMMS));
  assert.deepEqual(reasons, []);
  assert.deepEqual(regions, [
    { smfn: DIMM0_MFN, emfn: DIMM0_MFN + DIMM_PAGES, pxm: 0, source: "nfit" },
    { smfn: DIMM1_MFN, emfn: DIMM1_MFN + DIMM_PAGES, pxm: 1, source: "nfit" },
    { smfn: 0x400000, emfn: 0x400000 + 4096, pxm: undefined, source: "e820" },
    // Shrunk to whole pages.
    { smfn: 0x500000, emfn: 0x500000 + 2048, pxm: undefined, source: "e820" },
  ]);
  // An E820 range that sticks out of an NFIT range keeps only the part outside it.
  const wide = encodeE820([{ addr: 0x1_0000_0000n - 8192n, sizeBytes: 64n * MiB + 16384n, type: E820Type.pmem }]);
  const w = rawRegionsFromFirmware(wide, nfitFor(TWO_DIMMS.slice(0, 1)));
  assert.deepEqual(w.regions.map((r) => [r.smfn, r.emfn, r.source]), [
    [DIMM0_MFN - 2, DIMM0_MFN, "e820"], [DIMM0_MFN, DIMM0_MFN + DIMM_PAGES, "nfit"], [DIMM0_MFN + DIMM_PAGES, DIMM0_MFN + DIMM_PAGES + 2, "e820"],
  ]);
});

test("raw regions: bad tables give reasons and the bad parts are skipped, never a throw", () => {
  const nfit = nfitFor(TWO_DIMMS);
  const badSum = nfit.slice();
  badSum[9] = (badSum[9]! + 1) & 0xff;
  const r1 = rawRegionsFromFirmware(new Uint8Array(0), badSum);
  assert.deepEqual(codes(r1.reasons), ["acpi.checksum"]);
  assert.equal(r1.regions.length, 2, "a bad checksum is warned about and the table used, as Linux and Xen do");

  const notNfit = nfit.slice();
  notNfit.set([0x53, 0x53, 0x44, 0x54], 0);
  fixChecksum(notNfit);
  const r2 = rawRegionsFromFirmware(new Uint8Array(0), notNfit);
  assert.deepEqual(codes(r2.reasons), ["acpi.signature"]);
  assert.deepEqual(r2.regions, []);

  const r3 = rawRegionsFromFirmware(new Uint8Array(7), new Uint8Array(3));
  assert.deepEqual(codes(r3.reasons), ["acpi.truncated", "e820.length"]);

  const tiny = encodeE820([{ addr: 0x1000n + 1n, sizeBytes: 4096n, type: E820Type.pmem }]);
  assert.deepEqual(codes(rawRegionsFromFirmware(tiny, new Uint8Array(0)).reasons), ["boot.e820-empty"]);

  const overlapping = nfitFor([TWO_DIMMS[0]!, { addr: 0x1_0000_0000n + 32n * MiB, sizeBytes: 64n * MiB, node: 1 }]);
  const r4 = rawRegionsFromFirmware(new Uint8Array(0), overlapping);
  assert.deepEqual(codes(r4.reasons).filter((c) => c.startsWith("boot.")), ["boot.spa-overlap"]);
  assert.equal(r4.regions.length, 1);
});

test("boot writes nothing and reads nothing; with pmem_mgmt=ram nothing is ever written", () => {
  const m = testMachine();
  // Data already on the DIMMs, as after years of use.
  m.media.forEach((media, i) => {
    media.write(0n, new TextEncoder().encode(`dimm ${i} labels`));
    media.write(40n * MiB + 123n, new Uint8Array([1, 2, 3]));
  });
  const before = m.media.map((media) => hashMedia(media));
  const guarded = m.media.map((inner) => new FaultyMedia(inner, { denyWrites: true }));
  let resolved = 0;
  const resolver = (spa: bigint, size: bigint) => {
    resolved++;
    return m.resolver(spa, size);
  };
  for (const pmemMgmt of ["ram", "pmem"] as const) {
    const hv = bootHypervisor({ e820: m.e820, nfit: m.nfit, options: { pmemMgmt }, media: resolver });
    assert.deepEqual(hv.bootReasons, []);
    must(hv.pmemGetRegions(0, "raw"));
    must(hv.domainCreate(0, {}));
  }
  assert.equal(resolved, 0, "boot never even looks for media");
  assert.deepEqual(guarded.map((g) => [g.reads, g.writes]), [[0, 0], [0, 0]]);
  assert.deepEqual(m.media.map((media) => hashMedia(media)), before);

  // pmem_mgmt=ram: setup, populate, unmap, MCE and destroy write nothing either.
  const gm = { ...m, media: guarded, resolver: (spa: bigint, size: bigint) => {
    const w = m.resolver(spa, size);
    return w && { media: guarded[m.media.indexOf(w.media)]!, offset: w.offset };
  } };
  const hv = boot(gm, { pmemMgmt: "ram" });
  must(hv.pmemSetup(0, { type: "mgmt", smfn: DIMM0_MFN, emfn: DIMM0_MFN + 64 }));
  must(hv.pmemSetup(0, { type: "data", smfn: DIMM0_MFN + 64, emfn: DIMM0_MFN + DIMM_PAGES, mgmtSmfn: DIMM0_MFN, mgmtEmfn: DIMM0_MFN + 64 }));
  must(hv.pmemSetup(0, { type: "data", smfn: DIMM1_MFN, emfn: DIMM1_MFN + DIMM_PAGES }));
  const { domid } = must(hv.domainCreate(0, {}));
  must(hv.populatePmemMap(0, domid, DIMM0_MFN + 100, 0, 1000, "data"));
  must(hv.populatePmemMap(0, domid, DIMM1_MFN, 0, 32, "label"));
  must(hv.unmap(0, domid, 10, 10));
  must(hv.mceInject(0, DIMM0_MFN + 500));
  must(hv.domainDestroy(0, domid));
  assert.deepEqual(guarded.map((g) => g.writes), [0, 0]);
  assert.deepEqual(m.media.map((media) => hashMedia(media)), before);
});

test("the boot order: Xen notes ranges; dom0 reports more, then sets up; only then can pages be populated", () => {
  const m = testMachine();
  const hv = boot(m, { pmemMgmt: "pmem" });
  // 1. Xen notes the NFIT and E820 ranges; nothing is set up.
  assert.deepEqual(must(hv.pmemGetRegions(0, "raw")).map((r) => [r.smfn, r.emfn, r.pxm]), [
    [DIMM0_MFN, DIMM0_MFN + DIMM_PAGES, 0], [DIMM1_MFN, DIMM1_MFN + DIMM_PAGES, 1],
  ]);
  assert.deepEqual(must(hv.pmemGetRegions(0, "mgmt")), []);
  assert.deepEqual(must(hv.pmemGetRegions(0, "data")), []);
  const { domid } = must(hv.domainCreate(0, {}));
  assert.deepEqual(refusal(hv.populatePmemMap(0, domid, DIMM0_MFN + 100, 0, 1)), { errno: "EINVAL", reason: "populate.not-data" });

  // 2. Dom0 reports every range it knows, including one known only from _FIT (a hotplug).
  assert.deepEqual(must(hv.pmemReportRaw(0, { smfn: DIMM0_MFN, emfn: DIMM0_MFN + DIMM_PAGES, pxm: 0 })), { added: false });
  const hot = { smfn: 0x300000, emfn: 0x300000 + 4096, pxm: 1 };
  assert.deepEqual(must(hv.pmemReportRaw(0, hot)), { added: true });
  assert.deepEqual(must(hv.pmemReportRaw(0, hot)), { added: false });
  assert.deepEqual(refusal(hv.pmemReportRaw(0, { smfn: 0x300000 + 10, emfn: 0x300000 + 5000 })), { errno: "EEXIST", reason: "report.overlap" });
  assert.deepEqual(refusal(hv.pmemReportRaw(0, { smfn: 5, emfn: 5 })), { errno: "EINVAL", reason: "report.range" });
  assert.deepEqual(refusal(hv.pmemReportRaw(domid, hot)), { errno: "EPERM", reason: "caller.not-privileged" });
  assert.deepEqual(must(hv.pmemGetRegions(0, "raw"))[2], { type: "raw", ...hot, source: "reported" });

  // 3.–4. Later, by the administrator's decision, dom0 tells Xen which areas it may use.
  must(hv.pmemSetup(0, { type: "mgmt", smfn: DIMM0_MFN, emfn: DIMM0_MFN + 64 }));
  must(hv.pmemSetup(0, { type: "data", smfn: DIMM0_MFN + 64, emfn: DIMM0_MFN + DIMM_PAGES, mgmtSmfn: DIMM0_MFN, mgmtEmfn: DIMM0_MFN + 64 }));
  must(hv.populatePmemMap(0, domid, DIMM0_MFN + 100, 0, 1));
  assert.equal(must(hv.translate(domid, 0)), DIMM0_MFN + 100);
});

test("parsePmemMgmt and boot option checks", async () => {
  const { parsePmemMgmt } = await import("../../src/hypervisor/index.js");
  assert.equal(parsePmemMgmt("ram"), "ram");
  assert.equal(parsePmemMgmt("pmem"), "pmem");
  assert.equal(parsePmemMgmt("disk"), undefined);
  assert.throws(() => bootHypervisor({ e820: new Uint8Array(0), nfit: new Uint8Array(0), options: { pmemMgmt: "disk" as "ram" } }), /pmem_mgmt/);
  const hv = bootHypervisor({ e820: new Uint8Array(0), nfit: new Uint8Array(0), options: { pmemMgmt: "ram" } });
  assert.deepEqual(must(hv.pmemGetRegions(0, "raw")), []);
  assert.equal(hv.options.p2m, "linear");
  assert.equal(GiB, 1n << 30n);
});

test("dom0 may teach the hypervisor the proximity domain of an E820-only range, until something is set up in it", () => {
  const extra = { addr: 0x4_0000_0000n, sizeBytes: 16n * MiB, type: E820Type.pmem };
  const hv = bootHypervisor({ e820: e820For(TWO_DIMMS, [extra]), nfit: nfitFor(TWO_DIMMS), options: { pmemMgmt: "ram" } });
  const range = { smfn: 0x400000, emfn: 0x400000 + 4096 };
  assert.equal(must(hv.pmemGetRegions(0, "raw"))[2]!.pxm, undefined);
  assert.deepEqual(must(hv.pmemReportRaw(0, { ...range, pxm: 1 })), { added: false });
  assert.equal(must(hv.pmemGetRegions(0, "raw"))[2]!.pxm, 1);
  // Known now: a different pxm for the same range is a conflict.
  assert.deepEqual(refusal(hv.pmemReportRaw(0, { ...range, pxm: 0 })), { errno: "EEXIST", reason: "report.overlap" });
  // Firmware-given proximity domains are never overridden.
  assert.deepEqual(refusal(hv.pmemReportRaw(0, { smfn: DIMM0_MFN, emfn: DIMM0_MFN + DIMM_PAGES, pxm: 1 })), { errno: "EEXIST", reason: "report.overlap" });
});
