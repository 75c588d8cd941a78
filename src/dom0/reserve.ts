// `pmem reserve`: marks a namespace for hypervisor use. It creates the
// namespace when asked for a whole DIMM, then writes the reservation record.
// It refuses when the namespace holds anything — an fsdax, devdax or sector
// info block, a filesystem, other data, or a foreign reservation — unless
// forced; the refusal says what it found. Nothing else is ever written.
import { randomUUID } from "node:crypto";
import {
  GUIDS, RESERVATION_ABSTRACTION_GUID, RESERVATION_FLAGS, RESERVATION_OFFSET, encodeReservation, guidToBytes, initLabelWrites,
  planLabelUpdate, planReservation, rawTextToBytes, type Reservation,
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
    case "bad-reservation": return `a damaged reservation record (${c.reasons.map((r) => r.code).join(", ")})`;
    case "data": return "non-zero data at its start";
    default: return "nothing";
  }
}

function refuseUnlessForced(ns: ScannedNamespace, force: boolean | undefined): void {
  const c = ns.content;
  if (c.kind === "empty" || force) return;
  if (c.kind === "reservation" && c.owner === RESERVATION_OWNER) return;
  const what = ns.uuid ? `namespace ${ns.uuid}${ns.name ? ` ("${ns.name}")` : ""}` : "the label-less namespace";
  throw new ReserveError("reserve.in-use", `Refusing to reserve ${what}: it holds ${describe(c)}`, "pick an unused namespace, or pass --force to overwrite it (its data is lost)");
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
    refuseUnlessForced(scan.namespaces[0]!, req.force);
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
    ...(v12 ? { typeGuid: guidToBytes(GUIDS.spaPersistentMemory), abstractionGuid: guidToBytes(RESERVATION_ABSTRACTION_GUID) } : {}),
  };
  const ns: ScannedNamespace = { uuid, name: "hypervisor", dpa: free.dpa, sizeBytes: free.sizeBytes, labelless: false, content: classifyNamespace(d.data, free.dpa, free.sizeBytes, null) };
  // Free space may still hold an old namespace's data: the same refusal applies.
  refuseUnlessForced(ns, req.force);
  const record = writeRecord(d.data, ns, mgmtInPmem);
  writeLabelsViaDsm(d.dsm, handle, after.labelArea, planLabelUpdate(after.labelArea, label).writes);
  return { handle, namespace: { uuid, name: "hypervisor", dpa: free.dpa, sizeBytes: free.sizeBytes, created: true }, record, alreadyReserved: false };
}

function reserveNamespace(d: { dimm: NfitDimm; dsm: Dsm; data: DimmData }, ns: ScannedNamespace, mgmtInPmem: boolean, force: boolean | undefined): ReserveResult {
  const created = false;
  const c = ns.content;
  if (c.kind === "reservation" && c.owner === RESERVATION_OWNER && !force) {
    return { handle: d.dimm.handle, namespace: { uuid: ns.uuid ?? "", name: ns.name, dpa: ns.dpa, sizeBytes: ns.sizeBytes, created }, record: c.record, alreadyReserved: true };
  }
  refuseUnlessForced(ns, force);
  const record = writeRecord(d.data, ns, mgmtInPmem);
  if (ns.uuid) {
    // With v1.2 labels, mark the claim in the label too; v1.1 labels have no abstraction field.
    const scan = scanDimm(d.dsm, d.dimm, d.data);
    const n = scan.labels.namespaces.find((x) => x.uuid === ns.uuid);
    const l = n?.labels[0]?.label;
    if (l && l.version === "1.2") {
      const init = { uuid: l.uuid, name: l.name, flags: l.flags, nlabel: l.nlabel, position: l.position, isetcookie: l.isetcookie, lbasize: l.lbasize, dpa: l.dpa, rawsize: l.rawsize, align: l.align ?? 0, typeGuid: l.typeGuid!, abstractionGuid: guidToBytes(RESERVATION_ABSTRACTION_GUID) };
      writeLabelsViaDsm(d.dsm, d.dimm.handle, scan.labelArea, planLabelUpdate(scan.labelArea, init).writes);
    }
  }
  return { handle: d.dimm.handle, namespace: { uuid: ns.uuid ?? "", name: ns.name, dpa: ns.dpa, sizeBytes: ns.sizeBytes, created }, record, alreadyReserved: false };
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

