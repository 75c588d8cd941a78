// nd_pfn_sb: the fsdax ("NVDIMM_PFN_INFO") and devdax ("NVDIMM_DAX_INFO") info
// block at namespace offset 4096 (Linux drivers/nvdimm/pfn.h, pfn_devs.c;
// FORMATS.md §6).
import { defineStruct, type Record_ } from "../struct.js";
import { reason, type Reason } from "../reasons.js";
import { guidEquals, rawBytesToText } from "../guid.js";
import { hex, MiB, GiB } from "../units.js";
import { hasSignature, infoBlockChecksum, sealInfoBlock, signatureBytes, storedInfoBlockChecksum } from "./gen-sb.js";

export const PfnSb = defineStruct({
  name: "nd_pfn_sb",
  size: 4096,
  spec: "Linux drivers/nvdimm/pfn.h struct nd_pfn_sb; FORMATS.md §6",
  fields: [
    { name: "signature", offset: 0, size: 16, kind: "bytes", spec: "PFN_SIG \"NVDIMM_PFN_INFO\\0\" or DAX_SIG \"NVDIMM_DAX_INFO\\0\"" },
    { name: "uuid", offset: 16, size: 16, kind: "bytes", spec: "the pfn/dax device uuid, raw order (ndctl `uuid`)" },
    { name: "parentUuid", offset: 32, size: 16, kind: "bytes", spec: "parent_uuid: the namespace label uuid (ndctl `raw_uuid`)" },
    { name: "flags", offset: 48, kind: "u32" },
    { name: "versionMajor", offset: 52, kind: "u16", spec: "1" },
    { name: "versionMinor", offset: 54, kind: "u16", spec: "4 since Linux 5.7; older minors lack later fields" },
    { name: "dataoff", offset: 56, kind: "u64", spec: "relative to namespace start + start_pad" },
    { name: "npfns", offset: 64, kind: "u64" },
    { name: "mode", offset: 72, kind: "u32", spec: "PFN_MODE_RAM 1 (map=mem), PFN_MODE_PMEM 2 (map=dev)" },
    { name: "startPad", offset: 76, kind: "u32", spec: "start_pad, minor 1; 0 since Linux 5.7" },
    { name: "endTrunc", offset: 80, kind: "u32", spec: "end_trunc, minor 1" },
    { name: "align", offset: 84, kind: "u32", spec: "minor 2" },
    { name: "pageSize", offset: 88, kind: "u32", spec: "page_size, minor 4" },
    { name: "pageStructSize", offset: 92, kind: "u16", spec: "page_struct_size, minor 4" },
    { name: "padding", offset: 94, size: 3994, kind: "reserved", spec: "zero since minor 3" },
    { name: "checksum", offset: 4088, kind: "u64", spec: "nd_sb_checksum (FORMATS.md §4)" },
  ],
} as const);

export type PfnSbFields = Record_<typeof PfnSb.fields>;

/** Where Linux reads and writes the block: namespace offset SZ_4K. */
export const PFN_SB_OFFSET = 4096;
export const PFN_SIGNATURE = "NVDIMM_PFN_INFO";
export const DAX_SIGNATURE = "NVDIMM_DAX_INFO";
export const PFN_MODE = { none: 0, ram: 1, pmem: 2 } as const;

/** x86-64 constants Linux lays the block out with (PAGE_SIZE, MAX_STRUCT_PAGE_SIZE, memremap_compat_align()). */
export const PFN_PAGE_BYTES = 4096;
export const PFN_PAGE_STRUCT_BYTES = 64;
export const PFN_COMPAT_ALIGN_BYTES = 2 * MiB;
/** nd_info_block_reserve(): the first 8 KiB (unused page + the info block) never hold data. */
export const PFN_INFO_RESERVE_BYTES = 8192;
/** nd_pfn_supported_alignments() on x86-64 with THP: PAGE_SIZE, HPAGE_PMD_SIZE, HPAGE_PUD_SIZE. */
export const PFN_SUPPORTED_ALIGNS: readonly number[] = [4096, 2 * MiB, GiB];

const PFN_SIG = signatureBytes(PFN_SIGNATURE);
const DAX_SIG = signatureBytes(DAX_SIGNATURE);

/** "pfn" or "dax" when the 16 bytes at `offset` are one of the two signatures. */
export function pfnSignatureKind(bytes: Uint8Array, offset = 0): "pfn" | "dax" | undefined {
  if (hasSignature(bytes, offset, PFN_SIG)) return "pfn";
  if (hasSignature(bytes, offset, DAX_SIG)) return "dax";
  return undefined;
}

/**
 * The fields of the block at `offset`, as stored; no checks. Throws RangeError
 * when fewer than 4096 bytes follow `offset` (PfnSb.fits says whether they do);
 * validatePfnSb checks a block without throwing.
 */
export function decodePfnSb(bytes: Uint8Array, offset = 0): PfnSbFields {
  return PfnSb.decode(bytes, offset);
}

/** Encodes a block (missing fields zero) and stores its checksum; `checksum` is ignored. */
export function encodePfnSb(fields: Partial<PfnSbFields>): Uint8Array {
  return sealInfoBlock(PfnSb.encode(fields));
}

/** The fields as Linux reads them: older minor versions get the defaults nd_pfn_validate fills in. */
export function effectivePfnSb(sb: PfnSbFields): PfnSbFields {
  const e = { ...sb };
  if (sb.versionMinor < 1) { e.startPad = 0; e.endTrunc = 0; }
  if (sb.versionMinor < 2) e.align = 0;
  if (sb.versionMinor < 4) { e.pageStructSize = PFN_PAGE_STRUCT_BYTES; e.pageSize = PFN_PAGE_BYTES; }
  return e;
}

export type PfnReasonCode =
  | "pfn.truncated" | "pfn.signature" | "pfn.checksum" | "pfn.version" | "pfn.parent-uuid" | "pfn.mode"
  | "pfn.page-size" | "pfn.page-struct-size" | "pfn.align" | "pfn.dataoff" | "pfn.start-pad" | "pfn.end-trunc" | "pfn.npfns";
export type PfnReason = Reason & { code: PfnReasonCode };

export interface PfnValidateOptions {
  /** The signature expected; either is accepted when absent. */
  kind?: "pfn" | "dax";
  /** The namespace (label) uuid the block must name as its parent. */
  parentUuid?: Uint8Array;
  namespaceSizeBytes?: bigint;
  /** The namespace's physical start address (Linux's res->start); alignment checks need it. */
  namespaceStartBytes?: bigint;
}

/**
 * Checks a pfn/dax block (the 4096 bytes at `bytes[0]`) in nd_pfn_validate's
 * order: signature, checksum, version, parent uuid, mode, page sizes, align,
 * dataoff, start/end alignment, then npfns. Checks that need the namespace
 * size or start run only when the option is given.
 */
export function validatePfnSb(bytes: Uint8Array, opts: PfnValidateOptions = {}): PfnReason[] {
  if (!PfnSb.fits(bytes)) {
    return [reason("pfn.truncated", `info block is ${bytes.length} bytes, shorter than ${PfnSb.size}`, { bytes: bytes.length })];
  }
  const kind = pfnSignatureKind(bytes);
  if (kind === undefined || (opts.kind !== undefined && kind !== opts.kind)) {
    const want = opts.kind === "dax" ? DAX_SIGNATURE : opts.kind === "pfn" ? PFN_SIGNATURE : `${PFN_SIGNATURE} or ${DAX_SIGNATURE}`;
    return [reason("pfn.signature", `signature is not ${want}`, { found: kind })];
  }
  const stored = storedInfoBlockChecksum(bytes);
  const computed = infoBlockChecksum(bytes);
  if (stored !== computed) {
    return [reason("pfn.checksum", `checksum mismatch: stored ${hex(stored)}, computed ${hex(computed)}`, { stored, computed })];
  }
  const sb = effectivePfnSb(PfnSb.decode(bytes));
  // Linux reads any major; 1 is the only one defined, so another means a format we cannot read.
  if (sb.versionMajor !== 1) {
    return [reason("pfn.version", `version ${sb.versionMajor}.${sb.versionMinor} is not 1.x`, { major: sb.versionMajor, minor: sb.versionMinor })];
  }
  const out: PfnReason[] = [];
  if (opts.parentUuid !== undefined && !guidEquals(sb.parentUuid, opts.parentUuid)) {
    out.push(reason("pfn.parent-uuid", `parent uuid ${rawBytesToText(sb.parentUuid)} is not the namespace's ${rawText(opts.parentUuid)}`));
  }
  if (sb.mode !== PFN_MODE.ram && sb.mode !== PFN_MODE.pmem) {
    out.push(reason("pfn.mode", `mode ${sb.mode} is neither 1 (ram) nor 2 (pmem)`, { mode: sb.mode }));
    return out;
  }
  out.push(...checkGeometry(sb, kind, opts));
  return out;
}

function checkGeometry(sb: PfnSbFields, kind: "pfn" | "dax", opts: PfnValidateOptions): PfnReason[] {
  const out: PfnReason[] = [];
  const pmem = sb.mode === PFN_MODE.pmem;
  const size = opts.namespaceSizeBytes;
  const start = opts.namespaceStartBytes;
  if (pmem && sb.pageSize > PFN_PAGE_BYTES) {
    out.push(reason("pfn.page-size", `page size ${sb.pageSize} is larger than ${PFN_PAGE_BYTES}`, { pageSize: sb.pageSize }));
  }
  if (pmem && sb.pageStructSize < PFN_PAGE_STRUCT_BYTES) {
    out.push(reason("pfn.page-struct-size", `struct page size ${sb.pageStructSize} is smaller than ${PFN_PAGE_STRUCT_BYTES}`, { pageStructSize: sb.pageStructSize }));
  }

  // nd_pfn_validate: a block without an align field implies the largest power of two in dataoff.
  const align = sb.align !== 0 ? BigInt(sb.align) : sb.dataoff === 0n ? 0n : 1n << BigInt(sb.dataoff.toString(2).length - 1);
  if (kind === "dax" && !PFN_SUPPORTED_ALIGNS.some((a) => BigInt(a) === align)) {
    out.push(reason("pfn.align", `devdax align ${hex(align)} is not a supported alignment`, { align }));
  } else if (align !== 0n && (align & (align - 1n)) !== 0n) {
    out.push(reason("pfn.align", `align ${hex(align)} is not a power of two`, { align }));
  } else if (size !== undefined && align > size) {
    out.push(reason("pfn.align", `align ${hex(align)} exceeds the namespace size ${hex(size)}`, { align }));
  }

  const startPad = BigInt(sb.startPad);
  const endTrunc = BigInt(sb.endTrunc);
  const dataProblem =
    size !== undefined && sb.dataoff >= size - startPad - endTrunc ? `lies beyond the namespace data (${hex(size)} bytes)`
    : start !== undefined && align !== 0n && (start + sb.dataoff + startPad) % align !== 0n ? `puts data at ${hex(start + sb.dataoff + startPad)}, not aligned to ${hex(align)}`
    : sb.dataoff % BigInt(PFN_PAGE_BYTES) !== 0n ? "is not page aligned"
    : sb.dataoff < BigInt(PFN_INFO_RESERVE_BYTES) ? `overlaps the ${PFN_INFO_RESERVE_BYTES}-byte info block reserve`
    : undefined;
  if (dataProblem !== undefined) out.push(reason("pfn.dataoff", `dataoff ${hex(sb.dataoff)} ${dataProblem}`, { dataoff: sb.dataoff }));

  const compat = BigInt(PFN_COMPAT_ALIGN_BYTES);
  if (start !== undefined && (start + startPad) % compat !== 0n) {
    out.push(reason("pfn.start-pad", `namespace start ${hex(start)} + start_pad ${hex(startPad)} is not 2 MiB aligned`, { startPad: sb.startPad }));
  }
  if (start !== undefined && size !== undefined && (start + size - endTrunc) % compat !== 0n) {
    out.push(reason("pfn.end-trunc", `namespace end ${hex(start + size)} - end_trunc ${hex(endTrunc)} is not 2 MiB aligned`, { endTrunc: sb.endTrunc }));
  }

  if (dataProblem !== undefined) return out;
  const npfnsProblem =
    sb.npfns === 0n ? "is zero"
    : size !== undefined && sb.npfns * BigInt(PFN_PAGE_BYTES) > size - sb.dataoff - startPad - endTrunc ? "is more pages than follow dataoff"
    : pmem && BigInt(PFN_INFO_RESERVE_BYTES) + sb.npfns * BigInt(sb.pageStructSize) > sb.dataoff ? "needs a page map larger than the space before dataoff"
    : undefined;
  if (npfnsProblem !== undefined) out.push(reason("pfn.npfns", `npfns ${sb.npfns} ${npfnsProblem}`, { npfns: sb.npfns }));
  return out;
}

function rawText(b: Uint8Array): string {
  return b.length === 16 ? rawBytesToText(b) : `(${b.length} bytes)`;
}
