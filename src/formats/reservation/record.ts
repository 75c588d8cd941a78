// The hypervisor reservation record: an OS-agnostic, on-media superblock that
// marks a namespace for hypervisor use and states its management and data
// areas (docs/reservation-record.md explains the choice). It sits where Linux
// looks for a PFN/DAX info block (namespace + 4 KiB), in their 4096-byte frame
// with Fletcher64 in the last 8.
//
// Version 2 (written today) is a Linux `nd_pfn_sb` that Linux refuses: its
// fields pass the signature, checksum and parent-uuid checks, so Linux's pmem
// driver takes the namespace for an fsdax one, and then fail the page-size
// check, so nd_pfn_validate answers -EOPNOTSUPP and the namespace stays
// unbound: no /dev/pmem, no /dev/dax, nothing a stock kernel writes through.
// The reservation itself (the body) sits in that block's zero padding.
// Version 1 put the body at the frame's start under its own signature, which
// Linux does not know, so Linux showed the namespace as a writable raw disk;
// such records are still read.
import { defineStruct, decodeAscii, type Record_ } from "../struct.js";
import { infoBlockChecksum, sealInfoBlock, signatureBytes, storedInfoBlockChecksum, hasSignature } from "../infoblock/gen-sb.js";
import { PFN_MODE, PFN_SIGNATURE, PfnSb, decodePfnSb, validatePfnSb } from "../infoblock/pfn.js";
import { reason, type Reason } from "../reasons.js";
import { addU64 } from "../units.js";
import { GUIDS, guidEquals, isZeroGuid, rawBytesToText } from "../guid.js";

export const RESERVATION_SIGNATURE = "PMEM_HV_RESERVE";
/** Namespace offset of the record: the PFN/DAX info-block slot, so no Linux info block can coexist with it. */
export const RESERVATION_OFFSET = 4096;
/** The record is one info-block frame. */
export const RESERVATION_RECORD_BYTES = PfnSb.size;
/** Where the body sits in each version's frame: v1 at the start, v2 in nd_pfn_sb's padding (which starts at 94). */
export const RESERVATION_BODY_OFFSET = { 1: 0, 2: 128 } as const;
/** v1 records: the label's abstraction GUID, a claim class Linux does not know (so it bound the namespace raw). */
export const RESERVATION_ABSTRACTION_GUID = "66843a70-b454-4b94-97b6-cf48e3266a65";
/**
 * v2 records: the label claims the namespace for Linux's pfn personality, so
 * that the pfn probe reads the guard and refuses (an unknown claim class would
 * skip that probe and bind the namespace raw).
 */
export const RESERVATION_CLAIM_GUID = GUIDS.abstractionPfn;
/** The version written. */
export const RESERVATION_VERSION = { major: 2, minor: 0 } as const;
export const RESERVATION_FLAGS = {
  /** The management area may hold the frame table and M2P (pmem_mgmt=pmem). */
  MGMT_IN_PMEM: 0x1,
} as const;

/**
 * The v2 guard: the nd_pfn_sb fields that make Linux refuse the namespace.
 * page_size above any PAGE_SIZE with mode PMEM is "init failed, page size
 * mismatch" (-EOPNOTSUPP, Linux 5.4+); page_struct_size 0 is "struct page size
 * mismatch", the next check; a dataoff past any namespace makes kernels
 * without those checks refuse the fsdax personality too (they then bind it
 * raw, as they did v1). Minor 4 is needed for Linux to read page_size at all.
 */
export const RESERVATION_GUARD = {
  versionMajor: 1, versionMinor: 4, mode: PFN_MODE.pmem, pageSize: 0x4000_0000, pageStructSize: 0, dataoff: 1n << 63n, npfns: 0n, align: 2 * 1024 * 1024,
} as const;

/** The reservation proper; in both versions the same 120 bytes, only placed differently in the frame. */
export const ReservationBody = defineStruct({
  name: "pmem_hv_reserve",
  size: 120,
  spec: "vnvdimm docs/reservation-record.md",
  fields: [
    { name: "signature", offset: 0, size: 16, kind: "bytes", spec: "\"PMEM_HV_RESERVE\\0\"" },
    { name: "uuid", offset: 16, size: 16, kind: "bytes", spec: "this reservation, raw order" },
    { name: "parentUuid", offset: 32, size: 16, kind: "bytes", spec: "the namespace label uuid; zero for a label-less namespace" },
    { name: "flags", offset: 48, kind: "u32", spec: "RESERVATION_FLAGS" },
    { name: "versionMajor", offset: 52, kind: "u16", spec: "1 or 2, as the frame; a reader refuses other majors" },
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
  ],
} as const);

export type ReservationFields = Record_<typeof ReservationBody.fields>;

if (RESERVATION_BODY_OFFSET[2] < PfnSb.offsetOf("padding")) throw new Error("the v2 body must sit in nd_pfn_sb's padding");

export type ReservationReasonCode =
  | "rsv.truncated" | "rsv.signature" | "rsv.checksum" | "rsv.version" | "rsv.guard" | "rsv.page-size" | "rsv.parent-uuid"
  | "rsv.align" | "rsv.bounds" | "rsv.overlap" | "rsv.mgmt-size";

export type ReservationReason = Reason & { code: ReservationReasonCode };

export interface Reservation {
  readonly uuid: string;
  readonly parentUuid: string | null;
  readonly flags: number;
  readonly version: string;
  /** A v2 record: a stock Linux leaves the namespace unbound. A v1 record does not protect it. */
  readonly guarded: boolean;
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

const BODY_SIG = signatureBytes(RESERVATION_SIGNATURE);

/** A v2 record: the guard, the body in its padding, sealed. */
export function encodeReservation(r: ReservationInit): Uint8Array {
  const frame = PfnSb.encode({
    signature: signatureBytes(PFN_SIGNATURE), uuid: r.uuid, parentUuid: r.parentUuid,
    versionMajor: RESERVATION_GUARD.versionMajor, versionMinor: RESERVATION_GUARD.versionMinor, dataoff: RESERVATION_GUARD.dataoff,
    npfns: RESERVATION_GUARD.npfns, mode: RESERVATION_GUARD.mode, align: RESERVATION_GUARD.align,
    pageSize: RESERVATION_GUARD.pageSize, pageStructSize: RESERVATION_GUARD.pageStructSize,
  });
  frame.set(ReservationBody.encode({
    signature: BODY_SIG, uuid: r.uuid, parentUuid: r.parentUuid, flags: r.flags,
    versionMajor: RESERVATION_VERSION.major, versionMinor: RESERVATION_VERSION.minor,
    mgmtOffset: r.mgmtOffset, mgmtSize: r.mgmtSize, dataOffset: r.dataOffset, dataSize: r.dataSize,
    bytesPerPage: r.bytesPerPage, pageSize: r.pageSize ?? 4096, align: r.align, owner: ascii16(r.owner ?? "vnvdimm"),
  }), RESERVATION_BODY_OFFSET[2]);
  return sealInfoBlock(frame);
}

/** The frame version whose body signature is at its place in the frame at `offset`, if any (v2 is tried first). */
export function reservationFrameVersion(bytes: Uint8Array, offset = 0): 1 | 2 | undefined {
  if (hasSignature(bytes, offset + RESERVATION_BODY_OFFSET[2], BODY_SIG)) return 2;
  if (hasSignature(bytes, offset + RESERVATION_BODY_OFFSET[1], BODY_SIG)) return 1;
  return undefined;
}

export function hasReservationSignature(bytes: Uint8Array, offset = 0): boolean {
  return reservationFrameVersion(bytes, offset) !== undefined;
}

/** The owner field as it reads, whatever the record's state ("" when there is no body). */
export function reservationOwner(bytes: Uint8Array): string {
  const v = reservationFrameVersion(bytes);
  if (v === undefined || !ReservationBody.fits(bytes, RESERVATION_BODY_OFFSET[v])) return "";
  return decodeAscii(ReservationBody.decode(bytes, RESERVATION_BODY_OFFSET[v]).owner);
}

/**
 * Validates a record (the 4096-byte frame) in dependency order: signature,
 * checksum, version, the v2 guard, then geometry against the namespace
 * (bounds, overlap, alignment, management size). Never throws; never mutates.
 */
export function validateReservation(bytes: Uint8Array, opts: { namespaceSizeBytes?: bigint; parentUuid?: Uint8Array } = {}): { record?: Reservation; reasons: ReservationReason[] } {
  const r: ReservationReason[] = [];
  const push = (code: ReservationReasonCode, message: string, data: Record<string, unknown> = {}) => r.push(reason(code, message, data));
  if (bytes.length < RESERVATION_RECORD_BYTES) {
    push("rsv.truncated", `reservation record needs ${RESERVATION_RECORD_BYTES} bytes, have ${bytes.length}`);
    return { reasons: r };
  }
  const frame = reservationFrameVersion(bytes);
  if (frame === undefined) {
    push("rsv.signature", "no PMEM_HV_RESERVE signature");
    return { reasons: r };
  }
  const sum = infoBlockChecksum(bytes);
  const stored = storedInfoBlockChecksum(bytes);
  if (sum !== stored) {
    push("rsv.checksum", "reservation record checksum mismatch (torn or corrupt record)", { stored: `0x${stored.toString(16)}`, computed: `0x${sum.toString(16)}` });
    return { reasons: r };
  }
  const f = ReservationBody.decode(bytes, RESERVATION_BODY_OFFSET[frame]);
  if (f.versionMajor !== frame) {
    push("rsv.version", `reservation record version ${f.versionMajor}.${f.versionMinor} is not supported in a version ${frame} frame`);
    return { reasons: r };
  }
  if (frame === 2) {
    const problem = guardProblem(bytes, f);
    if (problem) push("rsv.guard", problem);
  }
  const record = toReservation(f, frame === 2);
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
  const floor = BigInt(RESERVATION_OFFSET + RESERVATION_RECORD_BYTES);
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

/**
 * Why a v2 frame would not keep Linux off the namespace, or undefined when it
 * does: the nd_pfn_sb must name the same reservation and namespace as the body
 * and still fail nd_pfn_validate's page-size check (validatePfnSb models it).
 */
function guardProblem(bytes: Uint8Array, body: ReservationFields): string | undefined {
  const sb = decodePfnSb(bytes);
  if (!hasSignature(bytes, 0, signatureBytes(PFN_SIGNATURE))) return "the Linux guard lost its NVDIMM_PFN_INFO signature";
  if (!guidEquals(sb.uuid, body.uuid) || !guidEquals(sb.parentUuid, body.parentUuid)) return "the Linux guard names another reservation or namespace than the record";
  const refused = validatePfnSb(bytes, { parentUuid: body.parentUuid }).some((x) => x.code === "pfn.page-size");
  return refused ? undefined : "the Linux guard no longer makes Linux refuse the namespace (page size or mode changed)";
}

function toReservation(f: ReservationFields, guarded: boolean): Reservation {
  return {
    uuid: rawBytesToText(f.uuid), parentUuid: isZeroGuid(f.parentUuid) ? null : rawBytesToText(f.parentUuid), flags: f.flags,
    version: `${f.versionMajor}.${f.versionMinor}`, guarded, mgmtOffset: f.mgmtOffset, mgmtSize: f.mgmtSize, dataOffset: f.dataOffset,
    dataSize: f.dataSize, bytesPerPage: f.bytesPerPage, pageSize: f.pageSize, align: f.align, owner: decodeAscii(f.owner),
  };
}
