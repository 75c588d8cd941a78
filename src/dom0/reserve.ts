// `pmem reserve`: marks a namespace for hypervisor use. It creates the
// namespace when asked for a whole DIMM, then writes the reservation record.
// It refuses when the namespace holds anything — an fsdax, devdax or sector
// info block, a filesystem, other data, or a foreign reservation — unless
// forced; the refusal says what it found. Nothing else is ever written.
//
// Crash safety: the record is written before the label that claims its
// space, so a power cut leaves either nothing of ours, a record (maybe torn)
// in space no label claims, or the record with its label (maybe without the
// final claim). A retry finishes each of these without --force.
import { randomUUID } from "node:crypto";
import {
  FS_SIGNATURE_PROBE_BYTES, GUIDS, RESERVATION_ABSTRACTION_GUID, RESERVATION_CLAIM_GUID, RESERVATION_FLAGS, RESERVATION_OFFSET, RESERVATION_RECORD_BYTES, encodeReservation,
  guidToBytes, guidEquals, initLabelWrites, planLabelUpdate, planReservation, rawTextToBytes, type Reservation,
} from "../formats/index.js";
import type { DimmData } from "./dimm-media.js";
import { writeLabelsViaDsm, type Dsm } from "./label-access.js";
import { classifyNamespace, scanDimm, type NfitDimm, type NamespaceContent, type ScannedNamespace } from "./scan.js";

import { MGMT_BYTES_PER_PAGE } from "../hypervisor/index.js";
export const RESERVATION_OWNER = "vnvdimm";

export class ReserveError extends Error {
  constructor(readonly code: "reserve.in-use" | "reserve.not-found" | "reserve.no-space" | "reserve.corrupt-labels", message: string, readonly hint?: string) {
    super(message);
    this.name = "ReserveError";
  }
  toJSON(): object {
    return { error: this.code, message: this.message, ...(this.hint ? { hint: this.hint } : {}) };
  }
}

export interface ReserveRequest {
  target: { namespace: string } | { dimm: NfitDimm };
  mgmt: "ram" | "pmem";
  force?: boolean;
  /** For --dimm on a label-less DIMM: the label version to initialise. */
  labels?: "1.1" | "1.2";
}

export interface ReserveResult {
  handle: number;
  namespace: { uuid: string; name: string; dpa: bigint; sizeBytes: bigint; created: boolean };
  record: Reservation;
  alreadyReserved: boolean;
}

function describe(c: NamespaceContent): string {
  switch (c.kind) {
    case "info-block": return `an ${c.mode} info block`;
    case "filesystem": return `a ${c.signatures.map((s) => s.kind).join("/")} signature`;
    case "reservation": return `a reservation record owned by "${c.owner}"`;
    case "bad-reservation": return `a damaged reservation record (${c.reasons.map((r) => r.code).join(", ")}${/^[\x20-\x7e]+$/.test(c.owner) ? `; owner "${c.owner}"` : ""})`;
    case "data": return "non-zero data at its start";
    default: return "nothing";
  }
}

function namespaceText(ns: ScannedNamespace): string {
  return ns.uuid ? `namespace ${ns.uuid}${ns.name ? ` ("${ns.name}")` : ""}` : "the label-less namespace";
}

/** `what` names the space as it is on the media: a labelled namespace, the label-less one, or free space. */
function refuseUnlessForced(what: string, c: NamespaceContent, force: boolean | undefined): void {
  if (c.kind === "empty" || force) return;
  if (c.kind === "reservation" && c.owner === RESERVATION_OWNER) return;
  throw new ReserveError("reserve.in-use", `Refusing to reserve ${what}: it holds ${describe(c)}`, "pick an unused namespace, or pass --force to overwrite it (its data is lost)");
}

/**
 * The torn remains of a reserve of ours that a crash cut short: a damaged
 * vnvdimm record (or one torn before its owner field) in free space that
 * holds nothing else. Free space means no label claims it, so the reserve
 * never wrote its label; a damaged record inside a labelled namespace may be
 * a real reservation and stays a refusal.
 */
function isUnfinishedReserve(data: DimmData, dpa: bigint, sizeBytes: bigint, c: NamespaceContent): boolean {
  if (c.kind !== "bad-reservation" || (c.owner !== RESERVATION_OWNER && c.owner !== "")) return false;
  const head = data.read(dpa, Number(sizeBytes < BigInt(FS_SIGNATURE_PROBE_BYTES) ? sizeBytes : BigInt(FS_SIGNATURE_PROBE_BYTES)));
  const end = RESERVATION_OFFSET + RESERVATION_RECORD_BYTES;
  return head.every((b, i) => b === 0 || (i >= RESERVATION_OFFSET && i < end));
}

/** Reserves; `dimms` maps a handle to its DSM and data access. */
export function reserve(req: ReserveRequest, dimms: { dimm: NfitDimm; dsm: Dsm; data: DimmData }[]): ReserveResult {
  const mgmtInPmem = req.mgmt === "pmem";
  if ("namespace" in req.target) {
    const target = req.target.namespace;
    for (const d of dimms) {
      const scan = scanDimm(d.dsm, d.dimm, d.data);
      const ns = scan.namespaces.find((n) => n.uuid === target.toLowerCase() || (n.name !== "" && n.name === target));
      if (!ns) continue;
      return reserveNamespace(d, ns, mgmtInPmem, req.force);
    }
    throw new ReserveError("reserve.not-found", `No namespace ${target} on any host DIMM`, "list them with `vnvdimm host status`");
  }
  const handle = req.target.dimm.handle;
  const d = dimms.find((x) => x.dimm.handle === handle);
  if (!d) throw new ReserveError("reserve.not-found", `No DIMM with handle ${handle}`);
  const scan = scanDimm(d.dsm, d.dimm, d.data);
  const mine = scan.namespaces.find((n) => n.content.kind === "reservation" && n.content.owner === RESERVATION_OWNER);
  if (mine && mine.content.kind === "reservation") {
    return { handle, namespace: { uuid: mine.uuid ?? "", name: mine.name, dpa: mine.dpa, sizeBytes: mine.sizeBytes, created: false }, record: mine.content.record, alreadyReserved: true };
  }
  if (scan.labels.corrupt.length || scan.labels.rejected.length) {
    throw new ReserveError("reserve.corrupt-labels", `DIMM ${handle} has labels that fail validation (${scan.labels.reasons.map((r) => r.code).join(", ")})`, "inspect them with `vnvdimm inspect labels`; nothing was written");
  }
  if (!scan.labels.labelled) {
    // Labelling a label-less DIMM replaces the raw namespace Linux shows on it: only when it is empty.
    refuseUnlessForced(namespaceText(scan.namespaces[0]!), scan.namespaces[0]!.content, req.force);
    writeLabelsViaDsm(d.dsm, handle, scan.labelArea, initLabelWrites(scan.labelArea.length, req.labels ?? "1.2"));
  }
  const after = scanDimm(d.dsm, d.dimm, d.data);
  const free = (after.labels.available ?? []).filter((e) => e.sizeBytes > 0n).sort((a, b) => (a.sizeBytes > b.sizeBytes ? -1 : 1))[0];
  if (!free || !planReservation(free.sizeBytes, { mgmtInPmem, bytesPerPage: MGMT_BYTES_PER_PAGE })) {
    throw new ReserveError("reserve.no-space", `DIMM ${handle} has no free extent large enough for a reservation`, "destroy a namespace, or reserve an existing one with --namespace");
  }
  const uuid = randomUUID();
  const v12 = after.labels.selection.layout?.labelSizeBytes === 256;
  const label = {
    uuid: rawTextToBytes(uuid), name: "hypervisor", isetcookie: v12 ? d.dimm.cookies.v12 : d.dimm.cookies.v11, dpa: free.dpa, rawsize: free.sizeBytes,
    ...(v12 ? { typeGuid: guidToBytes(GUIDS.spaPersistentMemory), abstractionGuid: guidToBytes(RESERVATION_CLAIM_GUID) } : {}),
  };
  const ns: ScannedNamespace = { uuid, name: "hypervisor", dpa: free.dpa, sizeBytes: free.sizeBytes, labelless: false, content: classifyNamespace(d.data, free.dpa, free.sizeBytes, null) };
  // Free space may still hold an old namespace's data: the same refusal applies, unless it is our own unfinished record.
  if (!isUnfinishedReserve(d.data, free.dpa, free.sizeBytes, ns.content)) {
    refuseUnlessForced(`free space at DPA 0x${free.dpa.toString(16)} (${free.sizeBytes} bytes that no namespace label claims)`, ns.content, req.force);
  }
  const record = writeRecord(d.data, ns, mgmtInPmem);
  writeLabelsViaDsm(d.dsm, handle, after.labelArea, planLabelUpdate(after.labelArea, label).writes);
  return { handle, namespace: { uuid, name: "hypervisor", dpa: free.dpa, sizeBytes: free.sizeBytes, created: true }, record, alreadyReserved: false };
}

function reserveNamespace(d: { dimm: NfitDimm; dsm: Dsm; data: DimmData }, ns: ScannedNamespace, mgmtInPmem: boolean, force: boolean | undefined): ReserveResult {
  const created = false;
  const c = ns.content;
  if (c.kind === "reservation" && c.owner === RESERVATION_OWNER && !force) {
    // A reserve cut short after its record still owes the label its claim: finish it.
    claimInLabel(d, ns, c.record);
    return { handle: d.dimm.handle, namespace: { uuid: ns.uuid ?? "", name: ns.name, dpa: ns.dpa, sizeBytes: ns.sizeBytes, created }, record: c.record, alreadyReserved: true };
  }
  refuseUnlessForced(namespaceText(ns), c, force);
  const record = writeRecord(d.data, ns, mgmtInPmem);
  claimInLabel(d, ns, record);
  return { handle: d.dimm.handle, namespace: { uuid: ns.uuid ?? "", name: ns.name, dpa: ns.dpa, sizeBytes: ns.sizeBytes, created }, record, alreadyReserved: false };
}

/**
 * With v1.2 labels, marks the claim in the namespace's label too, unless it is
 * there; v1.1 labels have no abstraction field. A v2 record is claimed for
 * Linux's pfn personality, so that Linux reads its guard and refuses; a v1
 * record keeps the claim class it was written with.
 */
function claimInLabel(d: { dimm: NfitDimm; dsm: Dsm; data: DimmData }, ns: ScannedNamespace, record: Reservation): void {
  if (!ns.uuid) return;
  const scan = scanDimm(d.dsm, d.dimm, d.data);
  const l = scan.labels.namespaces.find((x) => x.uuid === ns.uuid)?.labels[0]?.label;
  const claim = guidToBytes(record.guarded ? RESERVATION_CLAIM_GUID : RESERVATION_ABSTRACTION_GUID);
  if (!l || l.version !== "1.2" || (l.abstractionGuid && guidEquals(l.abstractionGuid, claim))) return;
  const init = { uuid: l.uuid, name: l.name, flags: l.flags, nlabel: l.nlabel, position: l.position, isetcookie: l.isetcookie, lbasize: l.lbasize, dpa: l.dpa, rawsize: l.rawsize, align: l.align ?? 0, typeGuid: l.typeGuid!, abstractionGuid: claim };
  writeLabelsViaDsm(d.dsm, d.dimm.handle, scan.labelArea, planLabelUpdate(scan.labelArea, init).writes);
}

function writeRecord(data: DimmData, ns: ScannedNamespace, mgmtInPmem: boolean): Reservation {
  const plan = planReservation(ns.sizeBytes, { mgmtInPmem, bytesPerPage: MGMT_BYTES_PER_PAGE });
  if (!plan) throw new ReserveError("reserve.no-space", `Namespace ${ns.uuid ?? "(label-less)"} of ${ns.sizeBytes} bytes is too small for a reservation`);
  const bytes = encodeReservation({
    uuid: rawTextToBytes(randomUUID()), parentUuid: ns.uuid ? rawTextToBytes(ns.uuid) : new Uint8Array(16),
    flags: mgmtInPmem ? RESERVATION_FLAGS.MGMT_IN_PMEM : 0, bytesPerPage: MGMT_BYTES_PER_PAGE, align: 2 * 1024 * 1024, owner: RESERVATION_OWNER, ...plan,
  });
  data.write(ns.dpa + BigInt(RESERVATION_OFFSET), bytes);
  const c = classifyNamespace(data, ns.dpa, ns.sizeBytes, ns.uuid);
  if (c.kind !== "reservation") throw new Error(`assertion failed: the record just written does not validate (${c.kind})`);
  return c.record;
}

