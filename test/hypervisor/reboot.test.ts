import { test } from "node:test";
import assert from "node:assert/strict";
import { FaultyMedia, hashMedia, isMediaError } from "../../src/media/index.js";
import { FRAME_TABLE_SIGNATURE, FrameKind, FrameTableHeader, HypervisorPanic, PAGE_BYTES, checkInvariants } from "../../src/hypervisor/index.js";
import { DIMM0_MFN, DIMM_PAGES, TWO_DIMMS, boot, must, refusal, setupDimm0, testMachine } from "./machine.js";

const at = (mfn: number) => BigInt(mfn - DIMM0_MFN) * BigInt(PAGE_BYTES);

test("a reboot is a new boot from the same bytes and media: regions rediscovered, structures rebuilt, data intact", () => {
  const m = testMachine();
  const first = boot(m, { pmemMgmt: "pmem" });
  const { mgmt, data } = setupDimm0(first);
  const d = must(first.domainCreate(0, {})).domid;
  for (let i = 0; i < 40; i++) must(first.populatePmemMap(0, d, data[0] + 3 * i, 1000 - i, 1));
  must(first.populatePmemMap(0, d, data[0] + 500, 0, 32, "label"));
  must(first.mceInject(0, data[0] + 3));
  m.media[0]!.write(at(data[0] + 30), new TextEncoder().encode("persistent"));
  const raw = must(first.pmemGetRegions(0, "raw"));

  // Power off. The media are the truth.
  const before = m.media.map((x) => hashMedia(x));
  const second = boot(m, { pmemMgmt: "pmem" });
  assert.deepEqual(m.media.map((x) => hashMedia(x)), before, "booting again wrote nothing");
  assert.deepEqual(must(second.pmemGetRegions(0, "raw")), raw);
  // Setup lasts until the next boot, as in Xen: dom0 must report the reservation again.
  assert.deepEqual(must(second.pmemGetRegions(0, "mgmt")), []);
  assert.deepEqual(must(second.pmemGetRegions(0, "data")), []);
  assert.deepEqual(second.domainIds(), [0]);
  assert.deepEqual(refusal(second.populatePmemMap(0, 0, data[0], 0, 1)), { errno: "EINVAL", reason: "populate.not-data" });

  // Dom0 sets the same regions up again: the frame table is rebuilt from scratch, not read back.
  must(second.pmemSetup(0, { type: "mgmt", smfn: mgmt[0], emfn: mgmt[1] }));
  must(second.pmemSetup(0, { type: "data", smfn: data[0], emfn: data[1], mgmtSmfn: mgmt[0], mgmtEmfn: mgmt[1] }));
  assert.equal(FrameTableHeader.decode(m.media[0]!.read(at(mgmt[0]), FrameTableHeader.size)).signature, FRAME_TABLE_SIGNATURE);
  const info = must(second.pmemGetRegions(0, "data"))[0]!;
  assert.ok(info.type === "data" && info.freePages === data[1] - data[0] && info.brokenPages === 0);
  for (let i = 0; i < 40; i++) assert.equal(second.frame(data[0] + 3 * i)!.state, FrameKind.free);
  // The toolstack recreates the domain from its config: the same pages, the guest finds its data.
  const again = must(second.domainCreate(0, { domid: d })).domid;
  must(second.populatePmemMap(0, again, data[0] + 30, 990, 1));
  assert.equal(new TextDecoder().decode(m.media[0]!.read(at(must(second.translate(again, 990))), 10)), "persistent");
  assert.deepEqual(checkInvariants(second), []);
});

test("power fails while setup writes the frame table: setup fails, the next boot sets up cleanly, no data page touched", () => {
  const m = testMachine(TWO_DIMMS, (inner, i) => (i === 0 ? new FaultyMedia(inner, { powerFailAfterBytes: 80, atomicBytes: 8 }) : inner));
  const faulty = m.media[0] as FaultyMedia;
  faulty.inner.write(at(DIMM0_MFN + 64), new TextEncoder().encode("tenant"));
  const dataHash = hashMedia(faulty.inner, { offset: at(DIMM0_MFN + 64), length: BigInt(DIMM_PAGES - 64) * BigInt(PAGE_BYTES) });
  const hv = boot(m, { pmemMgmt: "pmem" });
  must(hv.pmemSetup(0, { type: "mgmt", smfn: DIMM0_MFN, emfn: DIMM0_MFN + 64 }));
  assert.deepEqual(refusal(hv.pmemSetup(0, { type: "data", smfn: DIMM0_MFN + 64, emfn: DIMM0_MFN + DIMM_PAGES, mgmtSmfn: DIMM0_MFN, mgmtEmfn: DIMM0_MFN + 64 })), { errno: "EIO", reason: "setup.mgmt-io" });
  assert.equal(faulty.poweredOff, true);
  // Reboot on the surviving media (the DIMM powered back on).
  const m2 = { ...m, media: [faulty.inner, m.media[1]!], resolver: (spa: bigint, size: bigint) => {
    const w = m.resolver(spa, size);
    return w && { media: w.media === faulty ? faulty.inner : w.media, offset: w.offset };
  } };
  const hv2 = boot(m2, { pmemMgmt: "pmem" });
  setupDimm0(hv2);
  assert.equal(hashMedia(faulty.inner, { offset: at(DIMM0_MFN + 64), length: BigInt(DIMM_PAGES - 64) * BigInt(PAGE_BYTES) }), dataHash);
});

test("a media failure under a pmem-placed frame table after setup is a hypervisor panic, as in Xen", () => {
  const m = testMachine(TWO_DIMMS, (inner, i) => (i === 0 ? new FaultyMedia(inner) : inner));
  const hv = boot(m, { pmemMgmt: "pmem", frameChunkPages: 64 });
  const { data } = setupDimm0(hv);
  const d = must(hv.domainCreate(0, {})).domid;
  (m.media[0] as FaultyMedia).arm({ failWriteAt: 1 });
  assert.throws(() => hv.populatePmemMap(0, d, data[0] + 1, 0, 1), (e: unknown) => e instanceof HypervisorPanic && isMediaError(e.cause, "media.injected-fault"));
  assert.ok(hv.panicked);
  assert.throws(() => hv.pmemGetRegions(0, "raw"), HypervisorPanic);
});
