// A host boot, in Andrew Cooper's order (xen-devel, October 2016):
//  1. the hypervisor boots from the firmware bytes (E820 + NFIT) and notes
//     the raw pmem ranges — it reads and writes no NVDIMM;
//  2. the control domain finds the DIMMs, reads their labels through the
//     _DSM mailbox, reports every range it knows, and sets up each valid
//     reservation it finds (pmem_setup mgmt, then data);
//  3. invalid or torn records are reported and skipped, never repaired.
// A reboot is simply this again in a new process: the media are the truth,
// and the management structures are rebuilt every time.
import { SparseFileMedia, overlayMedia, type Media } from "../media/index.js";
import { bootHypervisor, mediaResolver, CONTROL_DOMID, PAGE_BYTES, type Hypervisor, type MediaResolver, type PmemMgmtPlacement, type PmemRegionInfo } from "../hypervisor/index.js";
import { forgetReservation, openEmulatedHost, hostDsm, readBadBlocks, readBootOptions, readKnownReservations, rememberReservations, type EmulatedHost, type KnownReservation } from "../host/index.js";
import { dimmsFromNfit, fileDimmData, scanDimm, type DimmData, type Dsm, type NfitDimm, type ScannedDimm } from "../dom0/index.js";
import { lostReservations, type LostReservation } from "./lost-reservations.js";
import type { Reason, Reservation } from "../formats/index.js";

export interface ReservationReport {
  handle: number;
  namespace: string | null;
  /** The namespace's place on its DIMM. */
  dpa: bigint;
  sizeBytes: bigint;
  record: Reservation;
  mgmt?: PmemRegionInfo;
  data?: PmemRegionInfo;
  /** Set when the hypervisor refused the setup. */
  error?: { errno: string; reason: string; message: string };
}

export interface SkippedRecord {
  handle: number;
  namespace: string | null;
  reasons: Reason[];
}

export interface BootedHost {
  host: EmulatedHost;
  hv: Hypervisor;
  dimms: { dimm: NfitDimm; dsm: Dsm; data: DimmData; scan: ScannedDimm }[];
  reservations: ReservationReport[];
  skipped: SkippedRecord[];
  /** Reservations this host knew that the boot did not find (damaged, converted by another OS, or gone). */
  lost: LostReservation[];
  pmemMgmt: PmemMgmtPlacement;
  /** Pages on the host's bad-block list, broken since boot. */
  broken: number[];
  /** The host media behind an SPA range (host DIMM files). */
  media: MediaResolver;
  /** Booted for a command that only reads: see BootOptions.readOnly. */
  readOnly: boolean;
  close(): void;
  /** Host hotplug: the DIMMs of `next` this boot does not know are opened, scanned and reported to the hypervisor. */
  plugDimms(next: EmulatedHost): BootedHost["dimms"];
}

export interface BootOptions {
  pmemMgmt?: PmemMgmtPlacement;
  /**
   * For commands that only read (list, status, a guest read): the DIMM files
   * are opened read-only, so these work on a state directory this user cannot
   * write, and what the boot itself writes (a pmem_mgmt=pmem frame table,
   * rebuilt at every boot) stays in memory.
   */
  readOnly?: boolean;
}

const PAGE = BigInt(PAGE_BYTES);

export function bootHost(stateDir: string, opts: BootOptions = {}): BootedHost {
  const host = openEmulatedHost(stateDir);
  const pmemMgmt = opts.pmemMgmt ?? readBootOptions(stateDir).pmemMgmt;
  const readOnly = opts.readOnly ?? false;
  // Pages that took a machine check stay broken across reboots: the host's bad-block list (read before any media is open).
  const broken = readBadBlocks(stateDir);
  const media: Media[] = [];
  // Media for pmem-placed management areas; opened lazily would hide errors, so open now (no I/O happens).
  let spans: { spaBase: bigint; media: Media; sizeBytes: bigint }[];
  try {
    spans = host.dimms.map((d) => {
      const m = readOnly ? overlayMedia(SparseFileMedia.open(d.path, { readOnly: true })) : SparseFileMedia.open(d.path);
      media.push(m);
      return { spaBase: d.spa, media: m, sizeBytes: d.sizeBytes };
    });
  } catch (e) {
    media.forEach((m) => m.close());
    throw e;
  }
  const resolver = mediaResolver(spans);
  const hv = bootHypervisor({ e820: host.e820, nfit: host.nfit, options: { pmemMgmt }, media: resolver });
  // Through `current`, so that a DIMM hotplugged later answers too.
  const current = { host };
  const dsm: Dsm = (r) => hostDsm(current.host, r);
  const dimms = dimmsFromNfit(host.nfit).flatMap((dimm) => {
    const h = host.dimms.find((x) => x.handle === dimm.handle);
    if (!h) return [];
    const data = fileDimmData(h.path, h.sizeBytes);
    return [{ dimm, dsm, data, scan: scanDimm(dsm, dimm, data) }];
  });
  const reservations: ReservationReport[] = [];
  const skipped: SkippedRecord[] = [];
  for (const d of dimms) {
    // Report every range dom0 knows; the hypervisor ignores ones it already noted.
    hv.pmemReportRaw(CONTROL_DOMID, { smfn: Number(d.dimm.spa / PAGE), emfn: Number((d.dimm.spa + d.dimm.sizeBytes) / PAGE), pxm: d.dimm.pxm });
    const found = setupReservations(hv, d, new Set());
    reservations.push(...found.reservations);
    skipped.push(...found.skipped);
  }
  for (const mfn of broken) hv.mceInject(CONTROL_DOMID, mfn);
  const lost = lostReservations(readKnownReservations(stateDir), reservations, dimms);
  // A boot that may write remembers what it found, so that a later boot can tell a lost reservation from none.
  if (!readOnly) rememberReservations(stateDir, reservations.map(knownOf));
  const booted: BootedHost = {
    host, hv, dimms, reservations, skipped, lost, pmemMgmt, media: resolver, broken, readOnly,
    close: () => media.forEach((m) => m.close()),
    plugDimms(next) {
      const known = new Set(booted.host.dimms.map((d) => d.handle));
      booted.host = current.host = next;
      const added: BootedHost["dimms"] = [];
      for (const h of next.dimms.filter((d) => !known.has(d.handle))) {
        const dimm = dimmsFromNfit(next.nfit).find((x) => x.handle === h.handle);
        if (!dimm) continue;
        const m = readOnly ? overlayMedia(SparseFileMedia.open(h.path, { readOnly: true })) : SparseFileMedia.open(h.path);
        media.push(m);
        spans.push({ spaBase: h.spa, media: m, sizeBytes: h.sizeBytes });
        const data = fileDimmData(h.path, h.sizeBytes);
        const entry = { dimm, dsm, data, scan: scanDimm(dsm, dimm, data) };
        // Dom0's hotplug report: the hypervisor learns of the new raw range (the design's report of regions that appear later).
        hv.pmemReportRaw(CONTROL_DOMID, { smfn: Number(dimm.spa / PAGE), emfn: Number((dimm.spa + dimm.sizeBytes) / PAGE), pxm: dimm.pxm });
        dimms.push(entry);
        added.push(entry);
      }
      return added;
    },
  };
  return booted;
}

/**
 * The host's DIMM media, by SPA, without booting the hypervisor: for the
 * toolstack's own writes to pages no domain owns (a scrub).
 */
export function openHostMedia(stateDir: string): { media: MediaResolver; close(): void } {
  const host = openEmulatedHost(stateDir);
  const opened: Media[] = [];
  try {
    const spans = host.dimms.map((d) => {
      const m = SparseFileMedia.open(d.path);
      opened.push(m);
      return { spaBase: d.spa, media: m, sizeBytes: d.sizeBytes };
    });
    return { media: mediaResolver(spans), close: () => opened.forEach((m) => m.close()) };
  } catch (e) {
    opened.forEach((m) => m.close());
    throw e;
  }
}

/**
 * Dom0's report of one DIMM's reservation records to the hypervisor: every
 * valid record not in `known` (namespace uuids) is set up, mgmt then data;
 * invalid or torn ones are returned as skipped, never repaired.
 */
export function setupReservations(hv: Hypervisor, d: BootedHost["dimms"][number], known: ReadonlySet<string | null>): { reservations: ReservationReport[]; skipped: SkippedRecord[] } {
  const reservations: ReservationReport[] = [];
  const skipped: SkippedRecord[] = [];
  for (const ns of d.scan.namespaces) {
    if (known.has(ns.uuid)) continue;
    if (ns.content.kind === "bad-reservation") {
      skipped.push({ handle: d.dimm.handle, namespace: ns.uuid, reasons: ns.content.reasons });
      continue;
    }
    if (ns.content.kind !== "reservation") continue;
    const rec = ns.content.record;
    const base = d.dimm.spa + (ns.dpa - d.dimm.mappingDpa);
    const report: ReservationReport = { handle: d.dimm.handle, namespace: ns.uuid, dpa: ns.dpa, sizeBytes: ns.sizeBytes, record: rec };
    reservations.push(report);
    const mgmt = rec.mgmtSize > 0n ? { smfn: Number((base + rec.mgmtOffset) / PAGE), emfn: Number((base + rec.mgmtOffset + rec.mgmtSize) / PAGE) } : undefined;
    if (mgmt) {
      const r = hv.pmemSetup(CONTROL_DOMID, { type: "mgmt", ...mgmt });
      if (!r.ok) { report.error = { errno: r.errno, reason: r.reason, message: r.message }; continue; }
      report.mgmt = r.value;
    }
    const r = hv.pmemSetup(CONTROL_DOMID, {
      type: "data", smfn: Number((base + rec.dataOffset) / PAGE), emfn: Number((base + rec.dataOffset + rec.dataSize) / PAGE),
      ...(mgmt ? { mgmtSmfn: mgmt.smfn, mgmtEmfn: mgmt.emfn } : {}),
    });
    if (!r.ok) report.error = { errno: r.errno, reason: r.reason, message: r.message };
    else report.data = r.value;
  }
  return { reservations, skipped };
}

/** What the host remembers of a reservation it found. */
export const knownOf = (r: Pick<ReservationReport, "handle" | "namespace" | "dpa" | "sizeBytes" | "record">): KnownReservation =>
  ({ uuid: r.record.uuid, handle: r.handle, namespace: r.namespace, dpa: r.dpa, sizeBytes: r.sizeBytes });

/** After `pmem reserve`: the host remembers the new reservation at once, before any other OS can touch it. */
export function rememberReserved(state: string, r: { handle: number; namespace: { uuid: string; dpa: bigint; sizeBytes: bigint }; record: Reservation }): void {
  rememberReservations(state, [knownOf({ handle: r.handle, namespace: r.namespace.uuid || null, dpa: r.namespace.dpa, sizeBytes: r.namespace.sizeBytes, record: r.record })]);
}

/**
 * `pmem forget`: the administrator acknowledges a lost reservation; false when
 * the host did not know it. A living host's boot report forgets it too.
 */
export function forgetLostReservation(state: string, uuid: string, living?: BootedHost): boolean {
  const forgotten = forgetReservation(state, uuid);
  const at = living?.lost.findIndex((l) => l.uuid === uuid) ?? -1;
  if (living && at >= 0) living.lost.splice(at, 1);
  return forgotten;
}
