// btt_sb: the BTT arena info block ("BTT_ARENA_INFO\0"), at the start of each
// arena with a backup copy at info2off (Linux drivers/nvdimm/btt.h, btt.c,
// btt_devs.c; FORMATS.md §6). BTT 1.1 starts at namespace offset 4096 (v1.1
// labels or none); BTT 2.0 starts at 0 (v1.2 labels, BTT2 abstraction).
import { defineStruct, type Record_ } from "../struct.js";
import { reason, type Reason } from "../reasons.js";
import { guidEquals, isZeroGuid, rawBytesToText } from "../guid.js";
import { hex } from "../units.js";
import { hasSignature, infoBlockChecksum, sealInfoBlock, signatureBytes, storedInfoBlockChecksum } from "./gen-sb.js";

export const BttSb = defineStruct({
  name: "btt_sb",
  size: 4096,
  spec: "Linux drivers/nvdimm/btt.h struct btt_sb; FORMATS.md §6",
  fields: [
    { name: "signature", offset: 0, size: 16, kind: "bytes", spec: "BTT_SIG \"BTT_ARENA_INFO\\0\"" },
    { name: "uuid", offset: 16, size: 16, kind: "bytes", spec: "the btt device uuid, raw order (ndctl `uuid`)" },
    { name: "parentUuid", offset: 32, size: 16, kind: "bytes", spec: "parent_uuid: the namespace label uuid, or zero" },
    { name: "flags", offset: 48, kind: "u32", spec: "IB_FLAG_ERROR 1" },
    { name: "versionMajor", offset: 52, kind: "u16" },
    { name: "versionMinor", offset: 54, kind: "u16" },
    { name: "externalLbasize", offset: 56, kind: "u32", spec: "external_lbasize: the sector size shown" },
    { name: "externalNlba", offset: 60, kind: "u32", spec: "external_nlba = internal_nlba - nfree" },
    { name: "internalLbasize", offset: 64, kind: "u32", spec: "internal_lbasize: external rounded up to 64" },
    { name: "internalNlba", offset: 68, kind: "u32" },
    { name: "nfree", offset: 72, kind: "u32", spec: "free blocks = lanes, 256" },
    { name: "infosize", offset: 76, kind: "u32", spec: "sizeof(struct btt_sb)" },
    { name: "nextoff", offset: 80, kind: "u64", spec: "next arena, relative to this one; 0 for the last" },
    { name: "dataoff", offset: 88, kind: "u64", spec: "offsets are relative to the arena start" },
    { name: "mapoff", offset: 96, kind: "u64" },
    { name: "logoff", offset: 104, kind: "u64" },
    { name: "info2off", offset: 112, kind: "u64", spec: "the backup info block" },
    { name: "padding", offset: 120, size: 3968, kind: "reserved" },
    { name: "checksum", offset: 4088, kind: "u64", spec: "nd_sb_checksum (FORMATS.md §4)" },
  ],
} as const);

export type BttSbFields = Record_<typeof BttSb.fields>;
export type BttVersion = "1.1" | "2.0";

export const BTT_SIGNATURE = "BTT_ARENA_INFO";
/** Namespace offset of the first arena, by version (btt_devs.c nd_btt_version: initial_offset). */
export const BTT_SB_OFFSET: Readonly<Record<BttVersion, number>> = { "1.1": 4096, "2.0": 0 };
/** btt.h: BTT_PG_SIZE, LOG_GRP_SIZE, MAP_ENT_SIZE, INT_LBASIZE_ALIGNMENT, IB_FLAG_ERROR_MASK. */
export const BTT_PAGE_BYTES = 4096;
export const BTT_LOG_GROUP_BYTES = 64;
export const BTT_MAP_ENTRY_BYTES = 4;
export const BTT_INTERNAL_LBASIZE_ALIGN = 64;
export const BTT_FLAG_ERROR = 0x1;

const BTT_SIG = signatureBytes(BTT_SIGNATURE);

export function hasBttSignature(bytes: Uint8Array, offset = 0): boolean {
  return hasSignature(bytes, offset, BTT_SIG);
}

/**
 * The fields of the block at `offset`, as stored; no checks. Throws RangeError
 * when fewer than 4096 bytes follow `offset` (BttSb.fits says whether they do);
 * validateBttSb checks a block without throwing.
 */
export function decodeBttSb(bytes: Uint8Array, offset = 0): BttSbFields {
  return BttSb.decode(bytes, offset);
}

/** Encodes a block (missing fields zero) and stores its checksum; `checksum` is ignored. */
export function encodeBttSb(fields: Partial<BttSbFields>): Uint8Array {
  return sealInfoBlock(BttSb.encode(fields));
}

/** The arena's size as btt.c parse_arena_meta derives it. */
export function bttArenaSizeBytes(sb: BttSbFields): bigint {
  return sb.nextoff !== 0n ? sb.nextoff : sb.info2off + BigInt(BTT_PAGE_BYTES);
}

export type BttReasonCode =
  | "btt.truncated" | "btt.signature" | "btt.checksum" | "btt.version" | "btt.parent-uuid" | "btt.error-flag"
  | "btt.infosize" | "btt.lbasize" | "btt.nfree" | "btt.nlba" | "btt.offsets";
export type BttReason = Reason & { code: BttReasonCode };

export interface BttValidateOptions {
  /** The namespace (label) uuid; a zero parent uuid in the block matches any (as in Linux). */
  parentUuid?: Uint8Array;
  /** The version the namespace calls for; derived from arenaOffsetBytes 0 / 4096 when absent. */
  version?: BttVersion;
  /** Namespace offset of the arena (its primary block). Defaults to the first arena's for the version. */
  arenaOffsetBytes?: bigint;
  namespaceSizeBytes?: bigint;
}

/**
 * Checks a primary or backup arena block (the 4096 bytes at `bytes[0]`):
 * signature, checksum, version, parent uuid (nd_btt_arena_is_valid,
 * nd_btt_version), then sizes and the arena layout that btt.c alloc_arena
 * produces.
 */
export function validateBttSb(bytes: Uint8Array, opts: BttValidateOptions = {}): BttReason[] {
  if (!BttSb.fits(bytes)) {
    return [reason("btt.truncated", `info block is ${bytes.length} bytes, shorter than ${BttSb.size}`, { bytes: bytes.length })];
  }
  if (!hasBttSignature(bytes)) return [reason("btt.signature", `signature is not ${BTT_SIGNATURE}`)];
  const stored = storedInfoBlockChecksum(bytes);
  const computed = infoBlockChecksum(bytes);
  if (stored !== computed) {
    return [reason("btt.checksum", `checksum mismatch: stored ${hex(stored)}, computed ${hex(computed)}`, { stored, computed })];
  }
  const sb = BttSb.decode(bytes);
  const found = `${sb.versionMajor}.${sb.versionMinor}`;
  const version = found === "1.1" || found === "2.0" ? found : undefined;
  const expected = opts.version ?? versionAt(opts.arenaOffsetBytes);
  if (version === undefined || (expected !== undefined && version !== expected)) {
    return [reason("btt.version", `version ${found} is not ${expected ?? "1.1 or 2.0"}`, { found, expected })];
  }
  const out: BttReason[] = [];
  if (opts.parentUuid !== undefined && !isZeroGuid(sb.parentUuid) && !guidEquals(sb.parentUuid, opts.parentUuid)) {
    out.push(reason("btt.parent-uuid", `parent uuid ${rawBytesToText(sb.parentUuid)} is not the namespace's`));
  }
  if ((sb.flags & BTT_FLAG_ERROR) !== 0) out.push(reason("btt.error-flag", "the arena is flagged in error; Linux will not write to it", { flags: sb.flags }));
  const sizes = checkSizes(sb);
  out.push(...sizes);
  if (sizes.length > 0) return out;
  const arenaAt = opts.arenaOffsetBytes ?? BigInt(BTT_SB_OFFSET[version]);
  const problem = layoutProblem(sb, arenaAt, opts.namespaceSizeBytes);
  if (problem !== undefined) out.push(reason("btt.offsets", problem, { dataoff: sb.dataoff, mapoff: sb.mapoff, logoff: sb.logoff, info2off: sb.info2off }));
  return out;
}

function versionAt(arenaOffset: bigint | undefined): BttVersion | undefined {
  if (arenaOffset === BigInt(BTT_SB_OFFSET["2.0"])) return "2.0";
  if (arenaOffset === BigInt(BTT_SB_OFFSET["1.1"])) return "1.1";
  return undefined;
}

function checkSizes(sb: BttSbFields): BttReason[] {
  const out: BttReason[] = [];
  if (sb.infosize !== BttSb.size) out.push(reason("btt.infosize", `infosize ${sb.infosize} is not ${BttSb.size}`, { infosize: sb.infosize }));
  if (sb.externalLbasize < 512 || sb.internalLbasize < sb.externalLbasize || sb.internalLbasize % BTT_INTERNAL_LBASIZE_ALIGN !== 0) {
    out.push(reason("btt.lbasize", `lbasize external ${sb.externalLbasize} / internal ${sb.internalLbasize} is not a valid pair`, {
      externalLbasize: sb.externalLbasize, internalLbasize: sb.internalLbasize,
    }));
  }
  if (sb.nfree === 0 || sb.nfree > sb.internalNlba) out.push(reason("btt.nfree", `nfree ${sb.nfree} is out of range`, { nfree: sb.nfree }));
  else if (sb.externalNlba === 0 || sb.internalNlba !== sb.externalNlba + sb.nfree) {
    out.push(reason("btt.nlba", `internal_nlba ${sb.internalNlba} is not external_nlba ${sb.externalNlba} + nfree ${sb.nfree}`));
  }
  return out;
}

/** Info block, data, map, log and backup block, in that order, each big enough, inside the arena and namespace. */
function layoutProblem(sb: BttSbFields, arenaAt: bigint, namespaceSize: bigint | undefined): string | undefined {
  const page = BigInt(BTT_PAGE_BYTES);
  const dataEnd = sb.dataoff + BigInt(sb.internalNlba) * BigInt(sb.internalLbasize);
  const mapEnd = sb.mapoff + BigInt(sb.externalNlba) * BigInt(BTT_MAP_ENTRY_BYTES);
  const logEnd = sb.logoff + BigInt(sb.nfree) * BigInt(BTT_LOG_GROUP_BYTES);
  if (sb.dataoff < BigInt(sb.infosize)) return `dataoff ${hex(sb.dataoff)} overlaps the info block`;
  if (sb.mapoff < dataEnd) return `mapoff ${hex(sb.mapoff)} overlaps the data area ending at ${hex(dataEnd)}`;
  if (sb.logoff < mapEnd) return `logoff ${hex(sb.logoff)} overlaps the map ending at ${hex(mapEnd)}`;
  if (sb.info2off < logEnd) return `info2off ${hex(sb.info2off)} overlaps the log ending at ${hex(logEnd)}`;
  if (sb.nextoff !== 0n && sb.nextoff < sb.info2off + page) return `nextoff ${hex(sb.nextoff)} is inside this arena`;
  const arenaEnd = arenaAt + bttArenaSizeBytes(sb);
  if (namespaceSize !== undefined && arenaEnd > namespaceSize) return `the arena ends at ${hex(arenaEnd)}, past the namespace end ${hex(namespaceSize)}`;
  return undefined;
}
