// The BTT a new sector-mode namespace gets: the arena layout Linux computes
// (drivers/nvdimm/btt.c create_arenas, alloc_arena) and the metadata
// btt_meta_init writes (btt_map_init, btt_log_init, btt_arena_write_layout).
import { defineStruct } from "../struct.js";
import { FormatError, reason } from "../reasons.js";
import { hex } from "../units.js";
import {
  BTT_INTERNAL_LBASIZE_ALIGN, BTT_LOG_GROUP_BYTES, BTT_MAP_ENTRY_BYTES, BTT_PAGE_BYTES, BTT_SB_OFFSET, BTT_SIGNATURE,
  BttSb, encodeBttSb, type BttVersion,
} from "./btt.js";
import { signatureBytes } from "./gen-sb.js";

/** btt.h ARENA_MIN_SIZE / ARENA_MAX_SIZE. */
export const BTT_ARENA_MIN_BYTES = 1n << 24n;
export const BTT_ARENA_MAX_BYTES = 1n << 39n;
/** btt.h BTT_DEFAULT_NFREE = ND_MAX_LANES: one free block and one log lane per lane. */
export const BTT_DEFAULT_NFREE = 256;
export const BTT_LOG_SEQ_INIT = 1;
/** btt.h map entry flags: both set is a normal entry; both clear is the initial identity mapping. */
export const BTT_MAP_FLAGS = { error: 1 << 30, trim: 2 ** 31, normal: 0xc000_0000 } as const;
/** btt_devs.c btt_lbasize_supported. */
export const BTT_SECTOR_SIZES: readonly number[] = [512, 520, 528, 4096, 4104, 4160, 4224];

export const BttLogEntry = defineStruct({
  name: "log_entry",
  size: 16,
  spec: "Linux drivers/nvdimm/btt.h struct log_entry; a log group (lane) is 4 entries, 2 of them padding",
  fields: [
    { name: "lba", offset: 0, kind: "u32", spec: "premap LBA" },
    { name: "oldMap", offset: 4, kind: "u32", spec: "postmap block freed by the write" },
    { name: "newMap", offset: 8, kind: "u32", spec: "postmap block written" },
    { name: "seq", offset: 12, kind: "u32", spec: "1, 2, 3; 0 is padding" },
  ],
} as const);

/** One arena. Offsets other than `offsetBytes` are relative to the arena, as stored. */
export interface BttArenaLayout {
  /** Namespace offset of the arena's info block (initial offset included). */
  offsetBytes: bigint;
  sizeBytes: bigint;
  externalLbaStart: bigint;
  externalLbasize: number;
  externalNlba: number;
  internalLbasize: number;
  internalNlba: number;
  nfree: number;
  infosize: number;
  nextoff: bigint;
  dataoff: bigint;
  mapoff: bigint;
  logoff: bigint;
  info2off: bigint;
}

export interface BttLayout {
  version: BttVersion;
  /** Where the first arena starts: 4096 for BTT 1.1, 0 for 2.0 (btt_devs.c nd_btt_version). */
  initialOffsetBytes: bigint;
  /** The space the arenas are cut from: namespace size minus the initial offset. */
  rawSizeBytes: bigint;
  arenas: BttArenaLayout[];
  /** Sectors the guest sees. */
  externalNlba: bigint;
}

export interface BttLayoutInput {
  namespaceSizeBytes: bigint;
  /** The external LBA size (ndctl --sector-size): one of BTT_SECTOR_SIZES. */
  sectorSize: number;
  version: BttVersion;
}

export function bttLayout(input: BttLayoutInput): BttLayout {
  const { namespaceSizeBytes, sectorSize, version } = input;
  if (!BTT_SECTOR_SIZES.includes(sectorSize)) fail("btt.lbasize", `sector size ${sectorSize} is not one of ${BTT_SECTOR_SIZES.join(", ")}`);
  const initial = BigInt(BTT_SB_OFFSET[version]);
  const raw = namespaceSizeBytes - initial;
  // nvdimm_namespace_attach_btt refuses a namespace with no room for one minimal arena.
  if (raw < BTT_ARENA_MIN_BYTES) fail("btt.too-small", `a ${hex(namespaceSizeBytes)}-byte namespace leaves ${hex(raw < 0n ? 0n : raw)} bytes for arenas; BTT ${version} needs ${hex(BTT_ARENA_MIN_BYTES + initial)}`);
  const arenas: BttArenaLayout[] = [];
  let remaining = raw;
  let at = 0n;
  let nlba = 0n;
  while (remaining > 0n) {
    const size = remaining < BTT_ARENA_MAX_BYTES ? remaining : BTT_ARENA_MAX_BYTES;
    remaining -= size;
    // A tail smaller than ARENA_MIN_SIZE is left unused, and the arena before it is the last.
    if (size < BTT_ARENA_MIN_BYTES) break;
    const arena = allocArena(size, nlba, initial + at, sectorSize, remaining >= BTT_ARENA_MIN_BYTES);
    arenas.push(arena);
    nlba += BigInt(arena.externalNlba);
    at += size;
  }
  return { version, initialOffsetBytes: initial, rawSizeBytes: raw, arenas, externalNlba: nlba };
}

/** alloc_arena: the split between data and map that leaves room for the info blocks and the log. */
function allocArena(size: bigint, start: bigint, offsetBytes: bigint, lbasize: number, hasNext: boolean): BttArenaLayout {
  const page = BigInt(BTT_PAGE_BYTES);
  const internalLbasize = Math.ceil(lbasize / BTT_INTERNAL_LBASIZE_ALIGN) * BTT_INTERNAL_LBASIZE_ALIGN;
  const nfree = BTT_DEFAULT_NFREE;
  const logsize = roundUp(BigInt(nfree * BTT_LOG_GROUP_BYTES), page);
  const available = size - (size % page) - 2n * page - logsize;
  const internalNlba = Number((available - page) / BigInt(internalLbasize + BTT_MAP_ENTRY_BYTES));
  const externalNlba = internalNlba - nfree;
  const mapsize = roundUp(BigInt(externalNlba * BTT_MAP_ENTRY_BYTES), page);
  const dataoff = page;
  const mapoff = dataoff + available - mapsize;
  const logoff = mapoff + mapsize;
  return {
    offsetBytes, sizeBytes: size, externalLbaStart: start, externalLbasize: lbasize, externalNlba, internalLbasize, internalNlba,
    nfree, infosize: BttSb.size, nextoff: hasNext ? size : 0n, dataoff, mapoff, logoff, info2off: logoff + logsize,
  };
}

/** The info block btt_arena_write_layout writes at the arena start and at info2off. */
export function encodeArenaInfo(arena: BttArenaLayout, version: BttVersion, uuid: Uint8Array, parentUuid: Uint8Array): Uint8Array {
  const [versionMajor, versionMinor] = version === "2.0" ? [2, 0] : [1, 1];
  return encodeBttSb({
    signature: signatureBytes(BTT_SIGNATURE), uuid, parentUuid, flags: 0, versionMajor, versionMinor,
    externalLbasize: arena.externalLbasize, externalNlba: arena.externalNlba,
    internalLbasize: arena.internalLbasize, internalNlba: arena.internalNlba, nfree: arena.nfree, infosize: arena.infosize,
    nextoff: arena.nextoff, dataoff: arena.dataoff, mapoff: arena.mapoff, logoff: arena.logoff, info2off: arena.info2off,
  });
}

/** btt_log_init's result: the whole log zeroed, then entry 0 of each lane naming its reserved free block. */
export function initialBttLog(arena: BttArenaLayout): Uint8Array {
  const log = new Uint8Array(Number(arena.info2off - arena.logoff));
  for (let lane = 0; lane < arena.nfree; lane++) {
    const block = arena.externalNlba + lane;
    BttLogEntry.encode({ lba: lane, oldMap: block, newMap: block, seq: BTT_LOG_SEQ_INIT }, log, lane * BTT_LOG_GROUP_BYTES);
  }
  return log;
}

/** One write into a namespace, at a namespace-relative offset, in the order it must reach the media. */
export interface NamespaceWrite {
  offset: bigint;
  bytes: Uint8Array;
  what: string;
}

/** A range Linux fills with zeros. It never overlaps a write, so it may be skipped on media known to be zero. */
export interface NamespaceZeroFill {
  offset: bigint;
  sizeBytes: bigint;
  what: string;
}

export interface BuildBttInput extends BttLayoutInput {
  /** The btt device uuid (ndctl `uuid`), raw order. */
  uuid: Uint8Array;
  /** The namespace label uuid (ndctl `raw_uuid`), raw order. */
  parentUuid: Uint8Array;
}

export interface BttWrites {
  layout: BttLayout;
  writes: NamespaceWrite[];
  zeroFills: NamespaceZeroFill[];
}

/**
 * What a fresh `ndctl create-namespace -m sector` leaves on the namespace:
 * per arena, the zeroed map (identity mapping), the initial log, then the
 * backup info block and the primary last, so that a torn layout is never
 * found valid (btt_arena_write_layout, btt_info_write).
 */
export function buildBttWrites(input: BuildBttInput): BttWrites {
  const layout = bttLayout(input);
  const writes: NamespaceWrite[] = [];
  const zeroFills: NamespaceZeroFill[] = [];
  layout.arenas.forEach((arena, i) => {
    const at = arena.offsetBytes;
    zeroFills.push({ offset: at + arena.mapoff, sizeBytes: arena.logoff - arena.mapoff, what: `btt arena ${i} map (all identity)` });
    writes.push({ offset: at + arena.logoff, bytes: initialBttLog(arena), what: `btt arena ${i} log` });
    const info = encodeArenaInfo(arena, input.version, input.uuid, input.parentUuid);
    writes.push({ offset: at + arena.info2off, bytes: info, what: `btt arena ${i} backup info block` });
    writes.push({ offset: at, bytes: info.slice(), what: `btt arena ${i} info block (BTT ${input.version})` });
  });
  return { layout, writes, zeroFills };
}

function roundUp(x: bigint, a: bigint): bigint {
  return ((x + a - 1n) / a) * a;
}

function fail(code: string, message: string): never {
  throw new FormatError("Cannot lay out a BTT", [reason(code, message)]);
}
