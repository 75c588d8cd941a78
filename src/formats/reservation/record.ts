// The hypervisor reservation record: an OS-agnostic, on-media superblock that
// marks a namespace for hypervisor use and states its management and data
// areas (docs/reservation-record.md explains the choice). It sits where Linux
// looks for a PFN/DAX info block (namespace + 4 KiB) and shares their frame —
// 4096 bytes, Fletcher64 in the last 8 — but its own signature cannot be
// mistaken for PFN, DAX or BTT, so Linux leaves the namespace raw.
import { defineStruct, decodeAscii, type Record_ } from "../struct.js";
import { NdGenSb, infoBlockChecksum, sealInfoBlock, signatureBytes, storedInfoBlockChecksum } from "../infoblock/gen-sb.js";
import { reason, type Reason } from "../reasons.js";
import { addU64 } from "../units.js";
import { isZeroGuid, rawBytesToText } from "../guid.js";

export const RESERVATION_SIGNATURE = "PMEM_HV_RESERVE";
/** Namespace offset of the record: the PFN/DAX info-block slot, so no Linux info block can coexist with it. */
export const RESERVATION_OFFSET = 4096;
/** v1.2 label abstraction GUID of a reserved namespace; Linux knows no claim class for it. */
export const RESERVATION_ABSTRACTION_GUID = "66843a70-b454-4b94-97b6-cf48e3266a65";
export const RESERVATION_VERSION = { major: 1, minor: 0 } as const;
export const RESERVATION_FLAGS = {
  /** The management area may hold the frame table and M2P (pmem_mgmt=pmem). */
  MGMT_IN_PMEM: 0x1,
} as const;

export const ReservationRecord = defineStruct({
  name: "pmem_hv_reserve",
  size: 4096,
  spec: "vnvdimm docs/reservation-record.md",
  fields: [
    { name: "signature", offset: 0, size: 16, kind: "bytes", spec: "\"PMEM_HV_RESERVE\\0\"" },
    { name: "uuid", offset: 16, size: 16, kind: "bytes", spec: "this reservation, raw order" },
    { name: "parentUuid", offset: 32, size: 16, kind: "bytes", spec: "the namespace label uuid; zero for a label-less namespace" },
    { name: "flags", offset: 48, kind: "u32", spec: "RESERVATION_FLAGS" },
    { name: "versionMajor", offset: 52, kind: "u16", spec: "1; a reader refuses other majors" },
    { name: "versionMinor", offset: 54, kind: "u16", spec: "0; later minors only add fields in the padding" },
    { name: "mgmtOffset", offset: 56, kind: "u64", spec: "bytes from the namespace start" },
    { name: "mgmtSize", offset: 64, kind: "u64" },
    { name: "dataOffset", offset: 72, kind: "u64", spec: "bytes from the namespace start" },
    { name: "dataSize", offset: 80, kind: "u64" },
    { name: "bytesPerPage", offset: 88, kind: "u32", spec: "per-page management bytes the mgmt area was sized for" },
    { name: "pageSize", offset: 92, kind: "u32", spec: "4096" },
    { name: "align", offset: 96, kind: "u32", spec: "alignment of both areas" },
    { name: "reserved", offset: 100, size: 4, kind: "reserved" },
    { name: "owner", offset: 104, size: 16, kind: "bytes", spec: "who wrote it, NUL-padded ASCII, e.g. \"vnvdimm\"" },
    { name: "padding", offset: 120, size: 3968, kind: "reserved" },
    { name: "checksum", offset: 4088, kind: "u64", spec: "Fletcher64 over 4096 bytes, this field read as zero" },
  ],
} as const);

export type ReservationFields = Record_<typeof ReservationRecord.fields>;

if (ReservationRecord.offsetOf("checksum") !== NdGenSb.offsetOf("checksum")) throw new Error("reservation record must share nd_gen_sb's checksum slot");

export type ReservationReasonCode =
  | "rsv.truncated" | "rsv.signature" | "rsv.checksum" | "rsv.version" | "rsv.page-size" | "rsv.parent-uuid"
  | "rsv.align" | "rsv.bounds" | "rsv.overlap" | "rsv.mgmt-size";

export type ReservationReason = Reason & { code: ReservationReasonCode };

export interface Reservation {
  readonly uuid: string;
  readonly parentUuid: string | null;
  readonly flags: number;
  readonly version: string;
  readonly mgmtOffset: bigint;
  readonly mgmtSize: bigint;
  readonly dataOffset: bigint;
  readonly dataSize: bigint;
  readonly bytesPerPage: number;
  readonly pageSize: number;
  readonly align: number;
  readonly owner: string;
}

export interface ReservationInit {
  uuid: Uint8Array;
  parentUuid: Uint8Array;
  flags: number;
  mgmtOffset: bigint;
  mgmtSize: bigint;
  dataOffset: bigint;
  dataSize: bigint;
  bytesPerPage: number;
  pageSize?: number;
  align: number;
  owner?: string;
}

function ascii16(text: string): Uint8Array {
  const b = new Uint8Array(16);
  for (let i = 0; i < Math.min(15, text.length); i++) b[i] = text.charCodeAt(i) & 0x7f;
  return b;
}

export function encodeReservation(r: ReservationInit): Uint8Array {
  const out = ReservationRecord.encode({
    signature: signatureBytes(RESERVATION_SIGNATURE), uuid: r.uuid, parentUuid: r.parentUuid, flags: r.flags,
    versionMajor: RESERVATION_VERSION.major, versionMinor: RESERVATION_VERSION.minor,
    mgmtOffset: r.mgmtOffset, mgmtSize: r.mgmtSize, dataOffset: r.dataOffset, dataSize: r.dataSize,
    bytesPerPage: r.bytesPerPage, pageSize: r.pageSize ?? 4096, align: r.align, owner: ascii16(r.owner ?? "vnvdimm"),
  });
  return sealInfoBlock(out);
}

export function hasReservationSignature(bytes: Uint8Array, offset = 0): boolean {
  if (offset + 16 > bytes.length) return false;
  const sig = signatureBytes(RESERVATION_SIGNATURE);
  return sig.every((b, i) => bytes[offset + i] === b);
}

/**
 * Validates a record in dependency order: signature, checksum, version, then
 * geometry against the namespace (bounds, overlap, alignment, management size).
 * Never throws; never mutates `bytes`.
 */
export function validateReservation(bytes: Uint8Array, opts: { namespaceSizeBytes?: bigint; parentUuid?: Uint8Array } = {}): { record?: Reservation; reasons: ReservationReason[] } {
  const r: ReservationReason[] = [];
  const push = (code: ReservationReasonCode, message: string, data: Record<string, unknown> = {}) => r.push(reason(code, message, data));
  if (!ReservationRecord.fits(bytes)) {
    push("rsv.truncated", `reservation record needs 4096 bytes, have ${bytes.length}`);
    return { reasons: r };
  }
  if (!hasReservationSignature(bytes)) {
    push("rsv.signature", "no PMEM_HV_RESERVE signature");
    return { reasons: r };
  }
  const f = ReservationRecord.decode(bytes);
  const sum = infoBlockChecksum(bytes);
  if (sum !== storedInfoBlockChecksum(bytes)) {
    push("rsv.checksum", "reservation record checksum mismatch (torn or corrupt record)", { stored: `0x${f.checksum.toString(16)}`, computed: `0x${sum.toString(16)}` });
    return { reasons: r };
  }
  if (f.versionMajor !== RESERVATION_VERSION.major) {
    push("rsv.version", `reservation record version ${f.versionMajor}.${f.versionMinor} is not supported (major must be ${RESERVATION_VERSION.major})`);
    return { reasons: r };
  }
  const record = toReservation(f);
  if (f.pageSize !== 4096) push("rsv.page-size", `page size ${f.pageSize} is not 4096`);
  if (opts.parentUuid && !isZeroGuid(f.parentUuid) && !f.parentUuid.every((b, i) => b === opts.parentUuid![i])) {
    push("rsv.parent-uuid", `record belongs to namespace ${rawBytesToText(f.parentUuid)}, not ${rawBytesToText(opts.parentUuid)}`);
  }
  const align = BigInt(f.align);
  if (align < 4096n || (align & (align - 1n)) !== 0n || f.mgmtOffset % align !== 0n || f.dataOffset % align !== 0n) {
    push("rsv.align", `areas must start on the record's power-of-two alignment (${f.align}, at least 4096)`);
  }
  const mgmtEnd = addU64(f.mgmtOffset, f.mgmtSize);
  const dataEnd = addU64(f.dataOffset, f.dataSize);
  const floor = BigInt(RESERVATION_OFFSET + ReservationRecord.size);
  if (mgmtEnd === undefined || dataEnd === undefined || f.mgmtOffset < floor || f.dataOffset < floor || f.dataSize === 0n
    || (opts.namespaceSizeBytes !== undefined && (mgmtEnd > opts.namespaceSizeBytes || dataEnd > opts.namespaceSizeBytes))) {
    push("rsv.bounds", "management or data area lies outside the namespace, over the record, or is empty");
  } else if (f.mgmtSize > 0n && f.mgmtOffset < dataEnd && f.dataOffset < mgmtEnd) {
    push("rsv.overlap", "management and data areas overlap");
  }
  const pages = f.dataSize / BigInt(f.pageSize || 4096);
  if ((f.flags & RESERVATION_FLAGS.MGMT_IN_PMEM) !== 0 && f.mgmtSize < pages * BigInt(f.bytesPerPage)) {
    push("rsv.mgmt-size", `management area of ${f.mgmtSize} bytes cannot hold ${f.bytesPerPage} bytes for each of ${pages} data pages`);
  }
  return { record, reasons: r };
}

function toReservation(f: ReservationFields): Reservation {
  return {
    uuid: rawBytesToText(f.uuid), parentUuid: isZeroGuid(f.parentUuid) ? null : rawBytesToText(f.parentUuid), flags: f.flags,
    version: `${f.versionMajor}.${f.versionMinor}`, mgmtOffset: f.mgmtOffset, mgmtSize: f.mgmtSize, dataOffset: f.dataOffset,
    dataSize: f.dataSize, bytesPerPage: f.bytesPerPage, pageSize: f.pageSize, align: f.align, owner: decodeAscii(f.owner),
  };
}
