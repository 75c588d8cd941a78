// The power-fail campaign: every media write of each crash-sensitive path is
// cut, cleanly after it and torn half way through it (8-byte atomic, as x86
// pmem), and the surviving bytes are read back with the real decoders and
// scanners. The state must be the old one or the new one, never a torn one;
// where a retry is the recovery, the retry must succeed without --force.
import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  DSM_REVISION, DSM_STATUS, GUIDS, LABEL_FLAGS, RESERVATION_CLAIM_GUID, guidToBytes, handleLabelDsm, initLabelWrites, labelToInit,
  openBtt, planLabelDelete, planLabelUpdate, qemuDimmCookies, qemuLabelRegion, rawBytesToText, rawTextToBytes, readLabelArea, status,
  type LabelInit, type LabelRegion, type LabelStore, type LabelWrite,
} from "../../src/formats/index.js";
import { MemoryMedia, zeroRange, type Media } from "../../src/media/index.js";
import { buildHostNfit, parseMachineSpec, planMemoryMap } from "../../src/host/index.js";
import { dimmsFromNfit, reserve, scanDimm, ReserveError, type DimmData, type Dsm, type NfitDimm } from "../../src/dom0/index.js";
import { mediaResolver } from "../../src/hypervisor/index.js";
import { GuestDeviceModel, ProbeGuest, planGuestLayout, type GuestNamespace } from "../../src/devicemodel/index.js";
import {
  applyProvision, compactLedger, journalPath, ledgerPath, prepareProvision, readLedger, withLedgerLock, writeLedger,
  type Ledger, type LedgerDomain, type LedgerExtent, type NamespaceRequest,
} from "../../src/toolstack/index.js";
import { powerFailCampaign, type CampaignResult } from "../helpers/power-fail.js";
import { FIXTURE_REGION_BYTES, fixtureBytes, type CaseId } from "../helpers/fixtures.js";

const KiB = 1024n;
const MiB = 1n << 20n;
const LABEL_BYTES = 128n * KiB;

/** Every path's counts, printed by the last test and held to cuts ≥ 2 × writes. */
const counts = new Map<string, CampaignResult>();

function campaign(path: string, o: Parameters<typeof powerFailCampaign>[1]): CampaignResult {
  const r = powerFailCampaign(path, o);
  counts.set(path, r);
  console.log(`power-fail ${path}: ${r.writes} writes, ${r.cuts} cut points`);
  assert.ok(r.cuts >= 2 * r.writes, `${path}: ${r.cuts} cut points for ${r.writes} writes`);
  return r;
}

function mediaWith(sizeBytes: bigint, parts: { offset: bigint; bytes: Uint8Array }[] = []): MemoryMedia {
  const m = new MemoryMedia(sizeBytes);
  for (const p of parts) m.write(p.offset, p.bytes);
  return m;
}

function allZero(b: Uint8Array): boolean {
  for (let i = 0; i < b.length; i++) if (b[i] !== 0) return false;
  return true;
}

function pattern(length: number, seed: number): Uint8Array {
  const b = new Uint8Array(length);
  for (let i = 0; i < length; i++) b[i] = (seed * 31 + i * 7 + (i >> 8)) & 0xff || 1;
  return b;
}

// ---------------------------------------------------------------------------
// 1. Label updates: init, create, update and delete, on v1.1 and v1.2 areas.

const fixtureRegion: LabelRegion = { ...qemuLabelRegion(0, FIXTURE_REGION_BYTES) };

/** What a reboot sees of a label area: labelled or not, and the namespaces (UPDATING masked: Linux ignores it for pmem). */
function labelState(area: Uint8Array): string {
  const r = readLabelArea(area, fixtureRegion);
  return JSON.stringify({
    labelled: r.labelled,
    namespaces: r.namespaces.map((n) => ({
      uuid: n.uuid, name: n.name, dpa: String(n.dpa), rawsize: String(n.rawsize), lbasize: String(n.lbasize),
      flags: n.flags & ~LABEL_FLAGS.UPDATING, abstraction: n.abstractionGuid ? rawBytesToText(n.abstractionGuid) : null,
    })),
    rejected: r.rejected.map((x) => x.uuid),
    corrupt: r.corrupt.map((x) => x.slot),
  });
}

/** Plans from what the media holds, then writes in order and flushes, as a label writer does. */
function labelOp(plan: (area: Uint8Array) => readonly LabelWrite[]): (m: Media) => void {
  return (m) => {
    const writes = plan(m.read(0n, Number(LABEL_BYTES)));
    for (const w of writes) m.write(BigInt(w.offset), w.bytes);
    m.flush();
  };
}

function labelCampaign(path: string, start: Uint8Array, plan: (area: Uint8Array) => readonly LabelWrite[]): void {
  const initial = mediaWith(LABEL_BYTES, [{ offset: 0n, bytes: start }]);
  const before = labelState(start);
  const after = new Uint8Array(start);
  for (const w of plan(start)) after.set(w.bytes, w.offset);
  const expected = labelState(after);
  assert.notEqual(expected, before, `${path}: the operation changes nothing a reboot sees`);
  campaign(path, {
    initial, run: labelOp(plan),
    check: (m, cut) => {
      const seen = labelState(m.read(0n, Number(LABEL_BYTES)));
      if (cut.completed) assert.equal(seen, expected);
      else assert.ok(seen === before || seen === expected, `the labels read as neither the old nor the new set:\n${seen}\nold ${before}\nnew ${expected}`);
    },
  });
}

for (const [c, v] of [["S1", "1.1"], ["S2", "1.2"]] as [CaseId, "1.1" | "1.2"][]) {
  test(`power-fail labels v${v}: init, create, update and delete are old or new after a cut at every write`, () => {
    const fixture = fixtureBytes(c, "dimm0.label-area.bin");
    labelCampaign(`labels v${v} init`, new Uint8Array(Number(LABEL_BYTES)), () => initLabelWrites(Number(LABEL_BYTES), v));
    const cookies = qemuDimmCookies(0);
    const created: LabelInit = {
      uuid: rawTextToBytes("5eb1ec7e-0000-4000-8000-00000000f00d"), name: "pf-new", isetcookie: v === "1.1" ? cookies.v11 : cookies.v12,
      dpa: 0xc000000n, rawsize: 16n * MiB, lbasize: 0n,
      ...(v === "1.2" ? { align: 0, typeGuid: guidToBytes(GUIDS.spaPersistentMemory), abstractionGuid: guidToBytes(GUIDS.abstractionPfn) } : {}),
    };
    labelCampaign(`labels v${v} create`, fixture, (area) => planLabelUpdate(area, created).writes);
    const first = readLabelArea(fixture, fixtureRegion).namespaces[0]!;
    labelCampaign(`labels v${v} update`, fixture, (area) => planLabelUpdate(area, { ...labelToInit(first.labels[0]!.label), name: "renamed" }).writes);
    labelCampaign(`labels v${v} delete`, fixture, (area) => planLabelDelete(area, first.uuid).writes);
  });
}

// ---------------------------------------------------------------------------
// 2. `pmem reserve`: the label init, the reservation record, the label update.

const host = (() => {
  const spec = parseMachineSpec({ name: "pf", sockets: [{ node: 0, ram: "1G" }], nvdimms: [{ node: 0, size: "32M" }], e820Pmem: true });
  const map = planMemoryMap(spec);
  const dimm = dimmsFromNfit(buildHostNfit(map))[0]!;
  return { dimm, dataBytes: map.dimms[0]!.sizeBytes, labelBytes: map.dimms[0]!.labelSizeBytes };
})();

/** dom0's view of the one host DIMM laid out as its backing file is: data, then the label area. */
function dom0Over(m: Media): { dimm: NfitDimm; dsm: Dsm; data: DimmData }[] {
  const { dimm, dataBytes, labelBytes } = host;
  const store: LabelStore = {
    sizeBytes: Number(labelBytes),
    read: (offset, length) => m.read(dataBytes + BigInt(offset), length),
    write: (offset, bytes) => m.write(dataBytes + BigInt(offset), bytes),
  };
  const inData = (dpa: bigint, length: number) => assert.ok(dpa >= 0n && dpa + BigInt(length) <= dataBytes, `DPA ${dpa}+${length} outside the data area`);
  return [{
    dimm,
    dsm: (req) => (req.revision !== DSM_REVISION ? status(DSM_STATUS.NOT_SUPPORTED) : req.handle !== dimm.handle ? status(DSM_STATUS.NO_SUCH_DEVICE) : handleLabelDsm(req, store)),
    data: {
      read: (dpa, length) => { inData(dpa, length); return m.read(dpa, length); },
      write: (dpa, bytes) => { inData(dpa, bytes.length); m.write(dpa, bytes); m.flush(); },
    },
  }];
}

function dimmMedia(): MemoryMedia {
  return new MemoryMedia(host.dataBytes + host.labelBytes);
}

/** Puts labels on the DIMM (real writes, before the campaign). */
function labelDimm(m: MemoryMedia, v: "1.1" | "1.2", namespaces: LabelInit[]): void {
  let area: Uint8Array = new Uint8Array(Number(host.labelBytes));
  for (const w of initLabelWrites(area.length, v)) area.set(w.bytes, w.offset);
  for (const n of namespaces) area = planLabelUpdate(area, n).area;
  m.write(host.dataBytes, area);
}

function hostLabel(v: "1.1" | "1.2", uuid: string, name: string, dpa: bigint, rawsize: bigint): LabelInit {
  const { cookies } = host.dimm;
  return {
    uuid: rawTextToBytes(uuid), name, isetcookie: v === "1.1" ? cookies.v11 : cookies.v12, dpa, rawsize,
    ...(v === "1.2" ? { align: 0, typeGuid: guidToBytes(GUIDS.spaPersistentMemory) } : {}),
  };
}

/** No two namespaces (or held-back extents) of the DIMM share a byte. */
function assertNoOverlap(m: MemoryMedia): void {
  const view = dom0Over(m)[0]!;
  const scan = scanDimm(view.dsm, view.dimm, view.data);
  const extents = [...scan.namespaces.map((n) => ({ dpa: n.dpa, end: n.dpa + n.sizeBytes })), ...scan.labels.suspect.map((e) => ({ dpa: e.dpa, end: e.dpa + e.sizeBytes }))]
    .sort((a, b) => (a.dpa < b.dpa ? -1 : 1));
  for (let i = 1; i < extents.length; i++) assert.ok(extents[i]!.dpa >= extents[i - 1]!.end, "two namespaces claim the same pages");
}

function ourReservations(m: MemoryMedia) {
  const view = dom0Over(m)[0]!;
  return scanDimm(view.dsm, view.dimm, view.data).namespaces.filter((n) => n.content.kind === "reservation" && n.content.owner === "vnvdimm");
}

/** Bytes of [dpa, dpa + length) that must survive the reserve untouched. */
function keeps(dpa: bigint, length: number) {
  return (m: MemoryMedia, before: Uint8Array) => assert.deepEqual(m.read(dpa, length), before, `the bytes at DPA ${dpa} changed`);
}

test("power-fail pmem reserve --dimm: after a cut at every write the retry succeeds without --force, or the reservation is complete", () => {
  const existingUuid = "0e7157e5-0000-4000-8000-00000000beef";
  const withNamespace = (v: "1.1" | "1.2") => {
    const m = dimmMedia();
    labelDimm(m, v, [hostLabel(v, existingUuid, "data", 0n, 16n * MiB)]);
    m.write(0n, new TextEncoder().encode("somebody's data"));
    return m;
  };
  const cases: { path: string; initial: MemoryMedia; labels?: "1.1" | "1.2"; kept?: { dpa: bigint; length: number } }[] = [
    { path: "reserve --dimm (label-less, v1.2 labels)", initial: dimmMedia() },
    { path: "reserve --dimm (label-less, v1.1 labels)", initial: dimmMedia(), labels: "1.1" },
    { path: "reserve --dimm (v1.2 labels, a namespace in use)", initial: withNamespace("1.2"), kept: { dpa: 0n, length: 4096 } },
    { path: "reserve --dimm (v1.1 labels, a namespace in use)", initial: withNamespace("1.1"), kept: { dpa: 0n, length: 4096 } },
  ];
  for (const c of cases) {
    const req = { target: { dimm: host.dimm }, mgmt: "pmem" as const, ...(c.labels ? { labels: c.labels } : {}) };
    const kept = c.kept ? { check: keeps(c.kept.dpa, c.kept.length), bytes: c.initial.read(c.kept.dpa, c.kept.length) } : undefined;
    campaign(c.path, {
      initial: c.initial,
      run: (m) => { reserve(req, dom0Over(m)); },
      check: (m, cut) => {
        const found = ourReservations(m);
        assert.ok(found.length <= 1, `${found.length} reservations`);
        if (cut.completed) assert.equal(found.length, 1, "the completed reserve left no valid reservation");
        // Old (nothing valid yet): the same command, without --force, must go through.
        const again = reserve(req, dom0Over(m));
        assert.equal(again.alreadyReserved, found.length === 1);
        const now = ourReservations(m);
        assert.equal(now.length, 1, "exactly one reservation after the retry");
        if (found.length === 1) assert.equal(now[0]!.uuid, found[0]!.uuid, "the retry replaced a complete reservation");
        assertNoOverlap(m);
        kept?.check(m, kept.bytes);
      },
    });
  }
});

test("power-fail pmem reserve --namespace: the record and the label claim end old or new; only a torn record in the namespace needs --force", () => {
  const uuid = "0e7157e5-0000-4000-8000-0000000000a1";
  const initial = dimmMedia();
  labelDimm(initial, "1.2", [hostLabel("1.2", uuid, "spare", 0n, 16n * MiB)]);
  const req = { target: { namespace: uuid }, mgmt: "ram" as const };
  const claim = (m: MemoryMedia) => {
    const view = dom0Over(m)[0]!;
    const l = scanDimm(view.dsm, view.dimm, view.data).labels.namespaces.find((n) => n.uuid === uuid)!.labels[0]!.label;
    return rawBytesToText(l.abstractionGuid!) === rawBytesToText(guidToBytes(RESERVATION_CLAIM_GUID));
  };
  let torn = 0;
  campaign("reserve --namespace (v1.2)", {
    initial, run: (m) => { reserve(req, dom0Over(m)); },
    check: (m, cut) => {
      const view = dom0Over(m)[0]!;
      const ns = scanDimm(view.dsm, view.dimm, view.data).namespaces.find((n) => n.uuid === uuid)!;
      if (cut.completed) assert.ok(ns.content.kind === "reservation" && claim(m), "the completed reserve is not complete");
      if (ns.content.kind === "bad-reservation") {
        // A namespace someone labelled may hold a real reservation: a damaged record there is for a human.
        torn++;
        assert.throws(() => reserve(req, dom0Over(m)), (e: unknown) => e instanceof ReserveError && e.code === "reserve.in-use"
          && e.message.includes(uuid) && /damaged reservation record/.test(e.message));
        reserve({ ...req, force: true }, dom0Over(m));
      } else {
        assert.ok(ns.content.kind === "empty" || ns.content.kind === "reservation", `the namespace holds ${ns.content.kind}`);
        if (ns.content.kind === "empty") assert.equal(claim(m), false, "a label claim without a record");
        reserve(req, dom0Over(m));
      }
      const after = scanDimm(view.dsm, view.dimm, view.data).namespaces.find((n) => n.uuid === uuid)!;
      assert.equal(after.content.kind, "reservation");
      assert.ok(claim(m), "the retry left the label without the reservation claim");
      assertNoOverlap(m);
    },
  });
  assert.ok(torn > 0, "no cut tore the record");
});

test("a torn reservation record in free space does not block the retry; the refusal of other leftovers names what is there", () => {
  // The campaign above covers the cuts; this pins the rules on the bytes themselves.
  const req = { target: { dimm: host.dimm }, mgmt: "pmem" as const };
  const full = dimmMedia();
  const r = reserve(req, dom0Over(full));
  const record = full.read(r.namespace.dpa + 4096n, 4096);
  const labelled = () => { const m = dimmMedia(); labelDimm(m, "1.2", []); return m; };
  // Torn: the first half of the record landed, the labels did not.
  const m = labelled();
  m.write(r.namespace.dpa + 4096n, record.subarray(0, 2048));
  const again = reserve(req, dom0Over(m));
  assert.equal(again.alreadyReserved, false);
  assert.equal(ourReservations(m).length, 1);
  // The same torn record next to other data is not only ours: refused, naming the free extent, not a made-up namespace.
  const other = labelled();
  other.write(r.namespace.dpa + 4096n, record.subarray(0, 2048));
  other.write(r.namespace.dpa + 1024n, new TextEncoder().encode("not ours"));
  assert.throws(() => reserve(req, dom0Over(other)), (e: unknown) => e instanceof ReserveError && e.code === "reserve.in-use"
    && /free space at DPA 0x/.test(e.message) && !e.message.includes(r.namespace.uuid));
  // A damaged record another owner wrote: refused.
  const foreign = labelled();
  const f = record.slice(0, 2048);
  f.set(new TextEncoder().encode("otheros\0"), 128 + 104); // the owner field of a v2 body
  foreign.write(r.namespace.dpa + 4096n, f);
  assert.throws(() => reserve(req, dom0Over(foreign)), /free space at DPA 0x.*damaged reservation record \(rsv\.checksum; owner "otheros"\)/);
});

// ---------------------------------------------------------------------------
// 3. Provisioning an extent: data (zero fills, info blocks, image), then labels.

const EXTENT_DATA = 32n * MiB;
const extent: LedgerExtent = {
  id: "vnvdimm0", slot: 0, smfn: 0, nrPages: Number((EXTENT_DATA + LABEL_BYTES) / 4096n), nrLabelPages: Number(LABEL_BYTES / 4096n),
  node: 0, unarmed: false, spec: "pf", state: "allocating", provisioned: false, txid: "pf",
};

/** The probe guest booted on the extent: QEMU's NFIT and _DSM for slot 0, guest memory straight onto the media. */
function guestOn(m: Media): ProbeGuest {
  const layout = planGuestLayout({ ramBytes: 512n * MiB, vnvdimms: [{ slot: 0, extentBytes: EXTENT_DATA + LABEL_BYTES, labelBytes: LABEL_BYTES, node: 0, unarmed: false }] });
  const w = layout.windows[0]!;
  const store: LabelStore = { sizeBytes: Number(LABEL_BYTES), read: (o, n) => m.read(EXTENT_DATA + BigInt(o), n), write: (o, b) => m.write(EXTENT_DATA + BigInt(o), b) };
  const dm = new GuestDeviceModel(layout, { labelStore: () => store, badRanges: () => [], notify: () => {} });
  const inWindow = (gpa: bigint, n: number) => {
    assert.ok(gpa >= w.gpa && gpa + BigInt(n) <= w.gpa + w.sizeBytes, `guest access 0x${gpa.toString(16)}+${n} outside the vNVDIMM window`);
    return gpa - w.gpa;
  };
  return new ProbeGuest({
    acpi: dm.acpiTables(), dsm: (page) => dm.call(page),
    memory: { read: (gpa, n) => m.read(inWindow(gpa, n), n), write: (gpa, b) => m.write(inWindow(gpa, b.length), b) },
  });
}

/** Stale bytes a former owner left (the extent was not scrubbed), so the zero fills write. */
function staleExtent(): MemoryMedia {
  return mediaWith(EXTENT_DATA + LABEL_BYTES, [{ offset: 0n, bytes: pattern(64 * 1024, 3) }, { offset: EXTENT_DATA - 64n * KiB, bytes: pattern(64 * 1024, 5) }]);
}

test("power-fail provisioning: a guest sees no namespace or the complete one after a cut at every write", () => {
  const dir = mkdtempSync(join(tmpdir(), "vnvdimm-pf-"));
  try {
    const image = join(dir, "image.bin");
    writeFileSync(image, pattern(40 * 1024, 9));
    const specs: { path: string; ns: NamespaceRequest }[] = [
      { path: "provision fsdax+image v1.2", ns: { mode: "fsdax", name: "pf", labels: "v1.2", alignBytes: 2n * MiB, image } },
      { path: "provision devdax v1.1", ns: { mode: "devdax", labels: "v1.1", alignBytes: 2n * MiB } },
      { path: "provision sector/4096 v1.2", ns: { mode: "sector", labels: "v1.2", sectorSize: 4096 } },
      { path: "provision sector/512 v1.1", ns: { mode: "sector", labels: "v1.1", sectorSize: 512 } },
      { path: "provision raw v1.2", ns: { mode: "raw", labels: "v1.2" } },
    ];
    for (const s of specs) {
      let plan: NonNullable<ReturnType<typeof prepareProvision>>["plan"] | undefined;
      campaign(s.path, {
        initial: staleExtent(),
        run: (m) => {
          const p = prepareProvision(mediaResolver([{ spaBase: 0n, media: m }]), extent, { namespace: s.ns })!;
          plan = p.plan;
          applyProvision(p);
        },
        check: (m, cut) => {
          const want = plan!.namespaces[0]!;
          const view = guestOn(m).view();
          const labelled = view.namespaces.filter((n) => n.uuid !== null);
          if (labelled.length === 0) {
            assert.ok(!cut.completed, "the completed provisioning shows no namespace");
            // Label-less (or labels with no namespace yet): what the guest sees must claim nothing.
            for (const n of view.namespaces) assert.equal(n.mode, "raw", `a ${n.mode} namespace shows before the labels landed`);
            return;
          }
          assert.equal(labelled.length, 1);
          const ns = labelled[0]!;
          assert.equal(ns.uuid, rawBytesToText(want.uuid));
          assert.equal(ns.rawsize, want.sizeBytes);
          assert.equal(ns.mode, s.ns.mode);
          for (const d of plan!.dataWrites) assert.deepEqual(m.read(d.dpa, d.bytes.length), d.bytes, `${d.what} is not complete`);
          for (const z of plan!.zeroFills) assert.ok(allZero(m.read(z.dpa, Number(z.sizeBytes))), `${z.what} is not zero`);
          const io = guestOn(m).io(ns);
          if (s.ns.mode === "fsdax" && s.ns.image) assert.deepEqual(io.read(0n, 40 * 1024), pattern(40 * 1024, 9));
          else assert.ok(io.read(0n, 8192).length === 8192);
        },
      });
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

// ---------------------------------------------------------------------------
// 4. The BTT write path of the probe guest: each sector old or new.

/** A provisioned sector namespace with known contents in its first sectors. */
function sectorNamespace(labels: "v1.1" | "v1.2", sectorSize: 512 | 4096, oldSectors: number): { media: MemoryMedia; uuid: string; old: Uint8Array } {
  const media = mediaWith(EXTENT_DATA + LABEL_BYTES);
  const p = prepareProvision(mediaResolver([{ spaBase: 0n, media }]), extent, { namespace: { mode: "sector", labels, sectorSize } })!;
  applyProvision(p);
  const uuid = rawBytesToText(p.plan.namespaces[0]!.uuid);
  const guest = guestOn(media);
  const io = guest.io(guest.namespace(uuid)!);
  const old = pattern(oldSectors * sectorSize, 11);
  io.write(0n, old);
  return { media, uuid, old };
}

function bttBijection(m: MemoryMedia, ns: GuestNamespace): void {
  const dev = openBtt({ read: (o, n) => m.read(o, n), write: () => assert.fail("read-only") }, { namespaceSizeBytes: ns.rawsize, readOnly: true });
  assert.deepEqual(dev.recovered.filter((r) => !r.applied), [], "a map entry still waits for recovery after the reboot's open");
  dev.arenas.forEach((a, i) => {
    const seen = new Uint8Array(a.internalNlba);
    const claim = (block: number, who: string) => {
      assert.ok(block < a.internalNlba && seen[block] === 0, `${who}: block ${block} owned twice or out of range`);
      seen[block] = 1;
    };
    // btt_map_read, for the whole map at once: no flag bits is the identity entry.
    const map = m.read(a.offsetBytes + a.mapoff, a.externalNlba * 4);
    const dv = new DataView(map.buffer, map.byteOffset, map.byteLength);
    for (let lba = 0; lba < a.externalNlba; lba++) {
      const raw = dv.getUint32(lba * 4, true);
      claim(raw >>> 30 === 0 ? lba : raw & 0x3fff_ffff, `lba ${lba}`);
    }
    dev.freeBlocks(i).forEach((b, lane) => claim(b, `free block of lane ${lane}`));
  });
}

test("power-fail BTT writes: every sector reads as its old or its new contents, and no block is owned twice", () => {
  const cases = [
    { path: "btt write 3×4096 (BTT 2.0)", labels: "v1.2" as const, sectorSize: 4096 as const, offset: 4096n, length: 3 * 4096 },
    { path: "btt write 1536 bytes over 4×512 (BTT 1.1)", labels: "v1.1" as const, sectorSize: 512 as const, offset: 256n, length: 1536 },
  ];
  for (const c of cases) {
    const { media, uuid, old } = sectorNamespace(c.labels, c.sectorSize, 2);
    const data = pattern(c.length, 21);
    const first = Number(c.offset) / c.sectorSize | 0;
    const last = Math.ceil((Number(c.offset) + c.length) / c.sectorSize);
    const before = new Uint8Array((last + 1) * c.sectorSize);
    before.set(old);
    const after = before.slice();
    after.set(data, Number(c.offset));
    campaign(c.path, {
      initial: media,
      run: (m) => { const g = guestOn(m); g.io(g.namespace(uuid)!).write(c.offset, data); },
      check: (m, cut) => {
        const g = guestOn(m);
        const ns = g.namespace(uuid)!;
        const io = g.io(ns);
        for (let s = 0; s <= last; s++) {
          const got = io.read(BigInt(s * c.sectorSize), c.sectorSize);
          const o = before.subarray(s * c.sectorSize, (s + 1) * c.sectorSize), n = after.subarray(s * c.sectorSize, (s + 1) * c.sectorSize);
          const isOld = got.every((b, i) => b === o[i]), isNew = got.every((b, i) => b === n[i]);
          assert.ok(isOld || isNew, `sector ${s} is neither old nor new`);
          if (cut.completed || s < first) assert.ok(isNew, `sector ${s} lost the write`);
        }
        bttBijection(m, ns);
        // Still a working disk: a write after the reboot reads back.
        io.write(BigInt(last * c.sectorSize), after.subarray(0, c.sectorSize));
        assert.deepEqual(io.read(BigInt(last * c.sectorSize), c.sectorSize), after.subarray(0, c.sectorSize));
      },
    });
  }
});

// ---------------------------------------------------------------------------
// 5. The scrub on delete: zeroRange without hole punching.

test("power-fail scrub: after a cut at any write, zeroRange again leaves the range all zeros and nothing else changed", () => {
  const size = 6n * MiB;
  const start = 512n * KiB, length = 3n * MiB + 512n * KiB;
  // Chunk 2 already reads as zero, so the scrub skips it; the last one is partial.
  const initial = mediaWith(size, [
    { offset: 0n, bytes: pattern(Number(start), 1) },
    { offset: start, bytes: pattern(Number(MiB), 2) },
    { offset: start + MiB + 4096n, bytes: pattern(100, 3) },
    { offset: start + 3n * MiB + 8n, bytes: pattern(1000, 4) },
    { offset: start + length, bytes: pattern(4096, 5) },
  ]);
  const outside = (m: MemoryMedia) => [m.read(0n, Number(start)), m.read(start + length, Number(size - start - length))];
  const keep = outside(initial);
  campaign("scrub (zeroRange, noDiscard)", {
    initial, run: (m) => { zeroRange(m, start, length, { noDiscard: true }); },
    check: (m) => {
      assert.deepEqual(outside(m), keep, "bytes outside the range changed");
      zeroRange(m, start, length, { noDiscard: true });
      for (let at = 0n; at < length; at += MiB) {
        const n = Number(length - at < MiB ? length - at : MiB);
        assert.ok(allZero(m.read(start + at, n)), `chunk at ${start + at} is not zero after the second scrub`);
      }
      assert.deepEqual(outside(m), keep, "bytes outside the range changed");
    },
  });
});

// ---------------------------------------------------------------------------
// The ledger is a journal of files, not a Media (docs/ledger-journal.md). A
// power cut keeps any prefix of what was written since the last fsync, or
// the new length with zeros where data had not landed. A mutation is one
// record appended to the journal: cut at every length (and as zeros of every
// length) the ledger reads as the old one, never part of the new, and the
// retried mutation lands whole after it. A compaction writes the snapshot to
// a temp file (cut at every length), renames it, then writes the new journal
// to a temp file (cut at every length) and renames it: at every cut the
// ledger reads the same.

const vm = (name: string, domid: number, status: "running" | "stopped"): LedgerDomain => ({
  name, configText: `name = "${name}"\n`, backend: "builtin", memoryMiB: 512, status, domid, createdAt: "2024-01-01T00:00:00.000Z",
  extents: [{ ...extent, state: "held", provisioned: true }],
});

/** A state directory whose ledger is `l`, written through the journal. */
function journaled(l: Ledger): string {
  const state = mkdtempSync(join(tmpdir(), "vnvdimm-pf-ledger-"));
  withLedgerLock(state, () => writeLedger(state, l));
  return state;
}

test("power-fail ledger append: the record cut at every length, or zeros of every length, reads as the old ledger; the retry lands whole", () => {
  const old: Ledger = { version: 1, generation: 0n, domains: [vm("vm1", 1, "running")], released: [] };
  // One mutation of several changes: vm1 deleted into the released list, vm2 created.
  const next: Ledger = { ...old, domains: [vm("vm2", 2, "stopped")], released: [{ from: "vm1", id: extent.id, smfn: extent.smfn, nrPages: extent.nrPages, keep: false, releasedAt: "2024-01-02T00:00:00.000Z" }] };
  const scratch = journaled(old);
  const state = journaled(old);
  try {
    const before = readFileSync(journalPath(state));
    withLedgerLock(scratch, () => writeLedger(scratch, next));
    const record = readFileSync(journalPath(scratch)).subarray(before.length);
    const oldRead = readLedger(state, { fresh: true });
    const want = readLedger(scratch, { fresh: true });
    assert.notDeepEqual(want, oldRead);
    let cuts = 0;
    for (const zeros of [false, true]) {
      for (let n = 0; n <= record.length; n++) {
        if (zeros && n === record.length) continue;
        writeFileSync(journalPath(state), Buffer.concat([before, zeros ? Buffer.alloc(n) : record.subarray(0, n)]));
        cuts++;
        const seen = readLedger(state, { fresh: true });
        assert.deepEqual(seen, n === record.length ? want : oldRead, `the record ${zeros ? "as zeros" : "cut"} at ${n} of ${record.length} bytes`);
        if (n === record.length) continue;
        // The mutation was not acknowledged; the toolstack's retry (a reclaim, or the verb again) lands whole after the cut.
        withLedgerLock(state, () => writeLedger(state, next));
        assert.deepEqual(readLedger(state, { fresh: true }), want, `the retry after a cut at ${n}`);
        assert.deepEqual(readFileSync(journalPath(state)), Buffer.concat([before, record]), "the torn tail was cut off before the append");
      }
    }
    counts.set("ledger journal append", { writes: 1, flushes: 1, cuts });
    console.log(`power-fail ledger journal append: 1 write, ${cuts} cut points (the record at every length, and zeros of every length, each then retried)`);
  } finally {
    rmSync(state, { recursive: true, force: true });
    rmSync(scratch, { recursive: true, force: true });
  }
});

test("power-fail ledger compaction: the snapshot's and the new journal's temp files cut at every length, and a cut between the renames, read the same ledger", () => {
  const l0: Ledger = { version: 1, generation: 0n, domains: [vm("vm1", 1, "running")], released: [] };
  const state = journaled(l0);
  const scratch = journaled(l0);
  try {
    for (const [i, st] of [[2, "running"], [3, "stopped"]] as const) {
      for (const s of [state, scratch]) withLedgerLock(s, () => { const l = readLedger(s); l.domains.push(vm(`vm${i}`, i, st)); writeLedger(s, l); });
    }
    const want = readLedger(state, { fresh: true });
    const oldSnapshot = readFileSync(ledgerPath(state));
    const oldJournal = readFileSync(journalPath(state));
    withLedgerLock(scratch, () => compactLedger(scratch));
    const newSnapshot = readFileSync(ledgerPath(scratch));
    const newJournal = readFileSync(journalPath(scratch));
    assert.deepEqual(readLedger(scratch, { fresh: true }), want);
    const put = (snapshot: Buffer, journal: Buffer, tmp?: { path: string; bytes: Buffer }) => {
      writeFileSync(ledgerPath(state), snapshot);
      writeFileSync(journalPath(state), journal);
      if (tmp) writeFileSync(tmp.path, tmp.bytes);
    };
    let cuts = 0;
    const check = (what: string) => { cuts++; assert.deepEqual(readLedger(state, { fresh: true }), want, what); };
    for (let n = 0; n <= newSnapshot.length; n++) {
      put(oldSnapshot, oldJournal, { path: `${ledgerPath(state)}.tmp-${process.pid}`, bytes: newSnapshot.subarray(0, n) });
      check(`the snapshot's temp file cut at ${n}`);
    }
    rmSync(`${ledgerPath(state)}.tmp-${process.pid}`);
    put(newSnapshot, oldJournal);
    check("the new snapshot with the old journal (its records are in the snapshot)");
    for (let n = 0; n <= newJournal.length; n++) {
      put(newSnapshot, oldJournal, { path: `${journalPath(state)}.tmp-${process.pid}`, bytes: newJournal.subarray(0, n) });
      check(`the new journal's temp file cut at ${n}`);
    }
    put(newSnapshot, newJournal);
    check("both renamed");
    // After the cut between the renames, the next mutation appends to the old journal and reads back.
    put(newSnapshot, oldJournal);
    withLedgerLock(state, () => { const l = readLedger(state); l.domains[0]!.status = "stopped"; writeLedger(state, l); });
    assert.deepEqual(readLedger(state, { fresh: true }).domains.map((d) => d.status), ["stopped", "running", "stopped"]);
    counts.set("ledger compaction (snapshot + journal, temp file + rename)", { writes: 2, flushes: 2, cuts });
    console.log(`power-fail ledger compaction: 2 writes, ${cuts} cut points (each temp file at every length, and between and after the renames)`);
  } finally {
    rmSync(state, { recursive: true, force: true });
    rmSync(scratch, { recursive: true, force: true });
  }
});

test("power-fail campaign totals", () => {
  let writes = 0, cuts = 0;
  for (const [path, r] of counts) {
    assert.ok(r.cuts >= 2 * r.writes, `${path}: ${r.cuts} cut points for ${r.writes} writes`);
    writes += r.writes;
    cuts += r.cuts;
  }
  console.log(`power-fail total: ${counts.size} paths, ${writes} writes, ${cuts} cut points`);
});
