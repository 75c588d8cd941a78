// What the control domain finds on each host DIMM: the DIMMs from the NFIT
// bytes, their labels through the _DSM mailbox with Linux's acceptance rules,
// and on each namespace what it holds — an info block, a filesystem, or a
// hypervisor reservation record (valid, or reported with its reasons).
import {
  FS_SIGNATURE_PROBE_BYTES, INFO_BLOCK_PROBE_BYTES, RESERVATION_OFFSET, RESERVATION_RECORD_BYTES, decodeNfit, detectInfoBlock,
  findFilesystemSignatures, hasReservationSignature, nfitInterleaveSetCookies, nfitStructuresOfKind, rawTextToBytes,
  readLabelArea, reservationOwner, validateReservation, type FoundSignature, type LabelAreaReport, type Reason, type Reservation,
} from "../formats/index.js";
import type { DimmData } from "./dimm-media.js";
import { readLabelAreaViaDsm, type Dsm } from "./label-access.js";

export interface NfitDimm {
  handle: number;
  /** SPA of the DIMM's region and its size; DPA 0 of the mapping sits at `spa`. */
  spa: bigint;
  sizeBytes: bigint;
  mappingDpa: bigint;
  pxm: number;
  serial: number;
  cookies: { v11: bigint; v12: bigint };
  typeGuid: Uint8Array;
}

/** The persistent-memory DIMMs of an NFIT (one mapping per region, as on every vnvdimm host). */
export function dimmsFromNfit(nfit: Uint8Array): NfitDimm[] {
  const { structures } = decodeNfit(nfit);
  const spas = nfitStructuresOfKind(structures, "spa");
  const memdevs = nfitStructuresOfKind(structures, "memdev");
  const dcrs = nfitStructuresOfKind(structures, "control-region");
  const out: NfitDimm[] = [];
  for (const m of memdevs) {
    const spa = spas.find((s) => s.rangeIndex === m.rangeIndex);
    const dcr = dcrs.find((d) => d.regionIndex === m.controlRegionIndex);
    if (!spa || !dcr) continue;
    out.push({
      handle: m.deviceHandle, spa: spa.addressRangeBase + m.regionOffset, sizeBytes: m.regionSize, mappingDpa: m.addressRegionBase,
      pxm: spa.proximityDomain, serial: dcr.serialNumber, cookies: nfitInterleaveSetCookies(spa, memdevs, dcrs), typeGuid: spa.regionTypeGuid,
    });
  }
  return out;
}

export type NamespaceContent =
  | { kind: "empty" }
  | { kind: "info-block"; mode: "fsdax" | "devdax" | "sector" }
  | { kind: "filesystem"; signatures: FoundSignature[] }
  | { kind: "reservation"; record: Reservation; owner: string; valid: true }
  /** `owner` is the owner field as it reads; a torn record may not have it yet (""). */
  | { kind: "bad-reservation"; reasons: Reason[]; owner: string }
  | { kind: "data" };

export interface ScannedNamespace {
  uuid: string | null;
  name: string;
  dpa: bigint;
  sizeBytes: bigint;
  labelless: boolean;
  content: NamespaceContent;
}

export interface ScannedDimm {
  dimm: NfitDimm;
  labels: LabelAreaReport;
  labelArea: Uint8Array;
  namespaces: ScannedNamespace[];
}

/** Classifies what sits at the start of a namespace. Reads only. */
export function classifyNamespace(data: DimmData, dpa: bigint, sizeBytes: bigint, parentUuid: string | null): NamespaceContent {
  const probe = Number(sizeBytes < BigInt(FS_SIGNATURE_PROBE_BYTES) ? sizeBytes : BigInt(FS_SIGNATURE_PROBE_BYTES));
  const head = data.read(dpa, probe);
  if (head.length >= RESERVATION_OFFSET + RESERVATION_RECORD_BYTES && hasReservationSignature(head, RESERVATION_OFFSET)) {
    const bytes = head.subarray(RESERVATION_OFFSET, RESERVATION_OFFSET + RESERVATION_RECORD_BYTES);
    const v = validateReservation(bytes, { namespaceSizeBytes: sizeBytes, ...(parentUuid ? { parentUuid: rawTextToBytes(parentUuid) } : {}) });
    if (v.record && v.reasons.length === 0) return { kind: "reservation", record: v.record, owner: v.record.owner, valid: true };
    return { kind: "bad-reservation", reasons: v.reasons, owner: reservationOwner(bytes) };
  }
  if (head.length >= INFO_BLOCK_PROBE_BYTES) {
    const ib = detectInfoBlock(head.subarray(0, INFO_BLOCK_PROBE_BYTES), { namespaceSizeBytes: sizeBytes });
    if (ib.kind !== "none") return { kind: "info-block", mode: ib.mode as "fsdax" | "devdax" | "sector" };
  }
  const fs = findFilesystemSignatures(head);
  if (fs.length) return { kind: "filesystem", signatures: fs };
  return head.every((b) => b === 0) ? { kind: "empty" } : { kind: "data" };
}

export function scanDimm(dsm: Dsm, dimm: NfitDimm, data: DimmData): ScannedDimm {
  const labelArea = readLabelAreaViaDsm(dsm, dimm.handle);
  const labels = readLabelArea(labelArea, {
    nmappings: 1, position: 0, mappingDpa: dimm.mappingDpa, mappingSizeBytes: dimm.sizeBytes, cookies: dimm.cookies, typeGuid: dimm.typeGuid,
  });
  const namespaces: ScannedNamespace[] = labels.labelled
    ? labels.namespaces.map((n) => ({ uuid: n.uuid, name: n.name, dpa: n.dpa, sizeBytes: n.rawsize, labelless: false, content: classifyNamespace(data, n.dpa, n.rawsize, n.uuid) }))
    : [{ uuid: null, name: "", dpa: dimm.mappingDpa, sizeBytes: dimm.sizeBytes, labelless: true, content: classifyNamespace(data, dimm.mappingDpa, dimm.sizeBytes, null) }];
  return { dimm, labels, labelArea, namespaces };
}
