// Block I/O through a BTT, as Linux drivers/nvdimm/btt.c does it: arena
// discovery (discover_arenas, log_set_indices, btt_freelist_init with its map
// recovery), reads through the map (btt_read_pg) and writes by the flog
// protocol (btt_write_pg), over a namespace given as a byte store.
//
// Single-threaded: every write uses lane 0, as a one-CPU guest does. Offsets
// handed to the store are namespace-relative; the initial offset (4096 for
// BTT 1.1) is part of each arena's `offsetBytes`, as in btt-layout.ts.
import { FormatError, reason, type Reason } from "../reasons.js";
import { hex } from "../units.js";
import {
  BTT_FLAG_ERROR, BTT_LOG_GROUP_BYTES, BTT_MAP_ENTRY_BYTES, BTT_SB_OFFSET, BttSb, bttArenaSizeBytes, decodeBttSb, hasBttSignature, validateBttSb,
  type BttVersion,
} from "./btt.js";
import { BTT_MAP_FLAGS, BttLogEntry, type BttArenaLayout } from "./btt-layout.js";

/** A namespace as bytes: offsets are relative to the namespace start. `read` returns exactly `length` bytes. */
export interface NamespaceByteStore {
  read(offset: bigint, length: number): Uint8Array;
  write(offset: bigint, bytes: Uint8Array): void;
}

export interface OpenBttOptions {
  namespaceSizeBytes: bigint;
  /** The BTT version the label calls for; probed (2.0 at offset 0, then 1.1 at 4096) when absent. */
  version?: BttVersion;
  /** The namespace (label) uuid; a non-zero parent uuid in the info blocks must match it. */
  parentUuid?: Uint8Array;
  /** Never write: skips the map recovery Linux does at attach, and refuses write(). */
  readOnly?: boolean;
}

/** btt.h MAP_LBA_MASK: the postmap block bits of a map entry or log old_map/new_map. */
export const BTT_MAP_LBA_MASK = 0x3fff_ffff;
/** The lane every write goes through (nd_region_acquire_lane on CPU 0). */
export const BTT_IO_LANE = 0;

/**
 * Codes of the FormatErrors that openBtt and the device throw, besides the
 * info block codes of validateBttSb (BttReasonCode).
 * - btt.lba-range: an LBA or count past the device (never reaches the store).
 * - btt.length: write data that is not whole sectors.
 * - btt.media-error: the map entry's error flag (E) is set; Linux's read returns -EIO.
 * - btt.map-range: a map entry names a block past internal_nlba (Linux: -EIO on write).
 * - btt.flog: a log Linux would refuse (unknown padding, bad seq pair) or a free block past the arena.
 * - btt.error-flag: write to an arena whose info block has IB_FLAG_ERROR (Linux: -EIO).
 * - btt.read-only: write() on a device opened readOnly.
 * - btt.write-failed: an earlier write failed part way; reopen to recover.
 * - btt.arenas: arenas that disagree on the sector size.
 */
export type BttIoErrorCode =
  | "btt.lba-range" | "btt.length" | "btt.media-error" | "btt.map-range" | "btt.flog" | "btt.error-flag"
  | "btt.read-only" | "btt.write-failed" | "btt.arenas";

/** An arena as found on the media: the layout fields (same shape as bttLayout's) plus its run-time state. */
export interface BttArenaState extends BttArenaLayout {
  /** Info block flags (IB_FLAG_ERROR). */
  flags: number;
  /** log_set_indices: the two slots of a log group that hold entries, (0, 1) or the older kernels' (0, 2). */
  logIndex: readonly [number, number];
}

/** A map entry btt_freelist_init rolled forward at open: the flog was written but the map write was lost. */
export interface BttRecovery {
  arena: number;
  lane: number;
  lba: number;
  oldMap: number;
  newMap: number;
  /** False when opened readOnly: the map still names oldMap. */
  applied: boolean;
}

export type BttMapState = "identity" | "normal" | "trim" | "error";

/** Where an LBA lives: btt_map_read's answer. */
export interface BttMapping {
  arena: number;
  premap: number;
  postmap: number;
  state: BttMapState;
  /** Namespace offset of the postmap block. */
  dataOffsetBytes: bigint;
}

export interface BttDevice {
  readonly version: BttVersion;
  /** The block size the guest sees: 4096 when external_lbasize ≥ 4096, else 512 (btt_init). */
  readonly sectorSize: number;
  /** external_lbasize; the bytes past sectorSize are integrity metadata, neither read nor written here. */
  readonly externalLbasize: number;
  /** Sectors across all arenas. */
  readonly nlba: bigint;
  readonly readOnly: boolean;
  readonly arenas: readonly BttArenaState[];
  /** Findings that do not stop I/O: a bad backup info block, an arena flagged in error. */
  readonly reasons: readonly Reason[];
  readonly recovered: readonly BttRecovery[];
  /** `count` sectors from `lba` (count × sectorSize bytes). Trimmed sectors read as zeros. */
  read(lba: bigint | number, count?: number): Uint8Array;
  /** Whole sectors from `lba`, one btt_write_pg transaction per sector. */
  write(lba: bigint | number, data: Uint8Array): void;
  lookup(lba: bigint | number): BttMapping;
  /** The free block each lane of the arena holds (the block its next write goes to). */
  freeBlocks(arena: number): readonly number[];
}

interface FreeEntry { sub: number; seq: number; block: number; hasErr: boolean }
interface Arena extends BttArenaState { index: number; free: FreeEntry[] }

const LOG_SLOTS = BTT_LOG_GROUP_BYTES / BttLogEntry.size;
/** __btt_log_write splits the 16-byte entry into two 8-byte halves, {lba, old_map} then {new_map, seq}. */
const LOG_HALF = BttLogEntry.offsetOf("newMap");
/** Lanes read per store call while scanning the log. */
const LOG_LANES_PER_READ = 1024;

function fail(what: string, code: string, message: string, data: Record<string, unknown> = {}): never {
  throw new FormatError(what, [reason(code, message, data)]);
}

/** nd_inc_seq: 1 → 2 → 3 → 1; 0 stays 0. */
function incSeq(seq: number): number {
  return [0, 2, 3, 1][seq & 3]!;
}

function isPadding(e: { lba: number; oldMap: number; newMap: number; seq: number }): boolean {
  return e.lba === 0 && e.oldMap === 0 && e.newMap === 0 && e.seq === 0;
}

/**
 * Opens the BTT on a namespace. Throws FormatError when Linux would not attach
 * it: no valid info block (validateBttSb's codes), a later arena corrupt, or a
 * log it cannot parse ("btt.flog"). Like btt_freelist_init, it repairs a map
 * entry whose flog write landed but whose map write did not (see `recovered`),
 * unless `readOnly`.
 */
export function openBtt(store: NamespaceByteStore, opts: OpenBttOptions): BttDevice {
  const size = opts.namespaceSizeBytes;
  const readOnly = opts.readOnly ?? false;
  // Every store access goes through these, so that no value read from the media can
  // send one outside the namespace: a failed check is a bug here, not bad input.
  const rd = (offset: bigint, length: number): Uint8Array => {
    if (offset < 0n || length < 0 || offset + BigInt(length) > size) throw new Error(`assertion failed: btt read ${hex(offset)}+${length} outside the namespace`);
    const got = store.read(offset, length);
    if (got.length !== length) throw new Error(`assertion failed: the store returned ${got.length} bytes for ${length}`);
    return got;
  };
  const wr = (offset: bigint, bytes: Uint8Array): void => {
    if (readOnly) throw new Error("assertion failed: btt write on a read-only device");
    if (offset < 0n || offset + BigInt(bytes.length) > size) throw new Error(`assertion failed: btt write ${hex(offset)}+${bytes.length} outside the namespace`);
    store.write(offset, bytes);
  };

  const version = probeVersion(rd, opts);
  const reasons: Reason[] = [];
  const arenas: Arena[] = [];
  // discover_arenas: follow nextoff from the first arena until it is 0 or the space is used up.
  let at = BigInt(BTT_SB_OFFSET[version]);
  let lbaStart = 0n;
  for (;;) {
    const i = arenas.length;
    const what = `BTT arena ${i} at ${hex(at)}`;
    if (at + BigInt(BttSb.size) > size) fail(what, "btt.truncated", `the info block at ${hex(at)} would pass the namespace end ${hex(size)}`);
    const block = rd(at, BttSb.size);
    const found = validateBttSb(block, { version, arenaOffsetBytes: at, namespaceSizeBytes: size, parentUuid: opts.parentUuid });
    const fatal = found.filter((r) => r.code !== "btt.error-flag");
    if (fatal.length > 0) throw new FormatError(i === 0 ? "No valid BTT" : `Corrupt BTT metadata: ${what}`, fatal);
    for (const r of found) reasons.push({ ...r, arena: i });
    const sb = decodeBttSb(block);
    if (i > 0 && sb.externalLbasize !== arenas[0]!.externalLbasize) {
      fail(what, "btt.arenas", `external_lbasize ${sb.externalLbasize} differs from arena 0's ${arenas[0]!.externalLbasize}`);
    }
    const arena: Arena = {
      index: i, offsetBytes: at, sizeBytes: bttArenaSizeBytes(sb), externalLbaStart: lbaStart,
      externalLbasize: sb.externalLbasize, externalNlba: sb.externalNlba, internalLbasize: sb.internalLbasize, internalNlba: sb.internalNlba,
      nfree: sb.nfree, infosize: sb.infosize, nextoff: sb.nextoff, dataoff: sb.dataoff, mapoff: sb.mapoff, logoff: sb.logoff,
      info2off: sb.info2off, flags: sb.flags, logIndex: [0, 1], free: [],
    };
    // Linux never reads the backup block; a bad one is reported, not fatal.
    for (const r of validateBttSb(rd(at + sb.info2off, BttSb.size), { version, arenaOffsetBytes: at, namespaceSizeBytes: size, parentUuid: opts.parentUuid })) {
      if (r.code !== "btt.error-flag") reasons.push({ ...r, arena: i, copy: "backup", message: `backup info block: ${r.message}` });
    }
    arena.logIndex = logSetIndices(rd, arena);
    arenas.push(arena);
    lbaStart += BigInt(arena.externalNlba);
    if (sb.nextoff === 0n) break;
    at += sb.nextoff;
    if (at === size) break; // discover_arenas: no space remaining
  }

  const recovered: BttRecovery[] = [];
  for (const arena of arenas) freelistInit(rd, wr, arena, readOnly, recovered);
  return new Device(rd, wr, version, arenas, reasons, recovered, readOnly);
}

type Reader = (offset: bigint, length: number) => Uint8Array;
type Writer = (offset: bigint, bytes: Uint8Array) => void;

/** The version given, or the first position holding a valid block: 2.0 at 0, then 1.1 at 4096. */
function probeVersion(rd: Reader, opts: OpenBttOptions): BttVersion {
  const candidates: BttVersion[] = opts.version !== undefined ? [opts.version] : ["2.0", "1.1"];
  const seen: { version: BttVersion; signed: boolean; reasons: Reason[] }[] = [];
  for (const version of candidates) {
    const at = BigInt(BTT_SB_OFFSET[version]);
    if (at + BigInt(BttSb.size) > opts.namespaceSizeBytes) {
      seen.push({ version, signed: false, reasons: [reason("btt.truncated", `a ${hex(opts.namespaceSizeBytes)}-byte namespace has no room for an info block at ${hex(at)}`)] });
      continue;
    }
    const block = rd(at, BttSb.size);
    const found = validateBttSb(block, { version, arenaOffsetBytes: at, namespaceSizeBytes: opts.namespaceSizeBytes, parentUuid: opts.parentUuid });
    if (found.every((r) => r.code === "btt.error-flag")) return version;
    seen.push({ version, signed: hasBttSignature(block), reasons: found });
  }
  const best = seen.find((s) => s.signed) ?? seen[0]!;
  const where = candidates.map((v) => hex(BTT_SB_OFFSET[v])).join(" or ");
  const tooSmall = seen.every((s) => s.reasons[0]?.code === "btt.truncated");
  const reasons = best.signed || tooSmall ? best.reasons : [reason("btt.signature", `no BTT info block at namespace offset ${where}`)];
  throw new FormatError("No valid BTT", reasons);
}

function logGroupAt(arena: BttArenaState, lane: number): bigint {
  return arena.offsetBytes + arena.logoff + BigInt(lane * BTT_LOG_GROUP_BYTES);
}

/** Reads the log groups of every lane, a chunk at a time, and hands each lane's four entries to `each`. */
function scanLog(rd: Reader, arena: BttArenaState, each: (lane: number, entries: ReturnType<typeof BttLogEntry.decode>[]) => void): void {
  for (let first = 0; first < arena.nfree; first += LOG_LANES_PER_READ) {
    const lanes = Math.min(LOG_LANES_PER_READ, arena.nfree - first);
    const bytes = rd(logGroupAt(arena, first), lanes * BTT_LOG_GROUP_BYTES);
    for (let l = 0; l < lanes; l++) {
      const entries = [];
      for (let s = 0; s < LOG_SLOTS; s++) entries.push(BttLogEntry.decode(bytes, l * BTT_LOG_GROUP_BYTES + s * BttLogEntry.size));
      each(first + l, entries);
    }
  }
}

/**
 * log_set_indices: which two of a group's four slots hold entries. A group
 * still in its initial state has three padding (all-zero) slots; if every
 * group is, the new scheme (0, 1) is assumed. Only (0, 1) and (0, 2) exist.
 */
function logSetIndices(rd: Reader, arena: BttArenaState): [number, number] {
  const bad = (message: string): never => fail(`BTT arena at ${hex(arena.offsetBytes)}`, "btt.flog", message);
  const index = [-1, -1];
  let next = 0;
  let idxSet = false;
  let initialState = true;
  scanLog(rd, arena, (lane, entries) => {
    let padCount = 0;
    entries.forEach((e, j) => {
      if (!idxSet) {
        if (isPadding(e)) { padCount++; return; }
        if (next === 1 && j === index[0]) return;
        index[next++] = j;
        if (next === 2) idxSet = true;
      } else if (j === index[0]) {
        if (isPadding(e)) bad(`log lane ${lane}: slot ${j} is empty where every lane has an entry`);
      } else if (j !== index[1] && !isPadding(e)) {
        bad(`log lane ${lane}: slot ${j} holds an entry; the other lanes use slots ${index[0]} and ${index[1]}`);
      }
    });
    if (padCount < 3) initialState = false;
  });
  if (!initialState && !idxSet) bad("the log's entry slots cannot be deduced");
  if (initialState) index[1] = 1;
  if (index[0] !== 0 || (index[1] !== 1 && index[1] !== 2)) bad(`unknown log padding scheme (${index[0]}, ${index[1]})`);
  return [index[0]!, index[1]!];
}

/**
 * btt_log_get_old: which of the two entries (0 or 1, by logIndex) is the older.
 * Sequence numbers run 1 → 2 → 3 → 1, so of two neighbours the "next" one is
 * newer; a zero seq in the first slot marks a lane never written.
 */
function logGetOld(seq0: number, seq1: number): number | undefined {
  if (seq0 === 0) return 0;
  if (seq0 === seq1 || seq0 + seq1 > 5) return undefined;
  if (seq0 < seq1) return seq1 - seq0 === 1 ? 0 : 1;
  return seq0 - seq1 === 1 ? 1 : 0;
}

/**
 * btt_freelist_init: each lane's free block is the old_map of its newer log
 * entry, and its next entry goes to the other slot with the next seq. When the
 * newer entry moved an LBA whose map still names old_map, the write died after
 * its flog write: finish it by pointing the map at new_map (the data there is
 * complete, since it was written before the flog).
 */
function freelistInit(rd: Reader, wr: Writer, arena: Arena, readOnly: boolean, recovered: BttRecovery[]): void {
  const what = `BTT arena ${arena.index} at ${hex(arena.offsetBytes)}`;
  const [i0, i1] = arena.logIndex;
  const lanes: { lane: number; ent: ReturnType<typeof BttLogEntry.decode>; sub: number }[] = [];
  scanLog(rd, arena, (lane, entries) => {
    const e0 = entries[i0]!, e1 = entries[i1]!;
    const old = logGetOld(e0.seq, e1.seq);
    if (old === undefined) fail(what, "btt.flog", `log lane ${lane}: sequence numbers ${e0.seq} and ${e1.seq} are not a valid pair`, { lane });
    const sub = 1 - old;
    const ent = sub === 0 ? e0 : e1;
    // Stricter than Linux, which would go on writing seq 0 entries that the next attach misreads.
    if (ent.seq < 1 || ent.seq > 3) fail(what, "btt.flog", `log lane ${lane}: the newer entry has sequence number ${ent.seq}`, { lane });
    lanes.push({ lane, ent, sub });
  });
  for (const { lane, ent, sub } of lanes) {
    const oldMap = ent.oldMap & BTT_MAP_LBA_MASK;
    const newMap = ent.newMap & BTT_MAP_LBA_MASK;
    const errored = (ent.oldMap & BTT_MAP_FLAGS.error) !== 0 && (ent.oldMap & BTT_MAP_FLAGS.normal) >>> 0 !== BTT_MAP_FLAGS.normal;
    const free: FreeEntry = { sub: 1 - sub, seq: incSeq(ent.seq), block: oldMap, hasErr: errored };
    arena.free[lane] = free;
    if (errored && !readOnly) clearFreelistError(wr, arena, free);
    if (oldMap === newMap) continue; // a fresh or untouched lane
    // Linux would read (and maybe write) the map entry at any lba; a hostile log must not move us out of the map.
    if (ent.lba >= arena.externalNlba) fail(what, "btt.flog", `log lane ${lane} names lba ${ent.lba}, past external_nlba ${arena.externalNlba}`, { lane });
    const current = readMap(rd, arena, ent.lba);
    if (newMap !== current.postmap && oldMap === current.postmap) {
      if (newMap >= arena.internalNlba) fail(what, "btt.flog", `log lane ${lane} names block ${newMap}, past internal_nlba ${arena.internalNlba}`, { lane });
      if (!readOnly) writeMap(wr, arena, ent.lba, newMap);
      recovered.push({ arena: arena.index, lane, lba: ent.lba, oldMap, newMap, applied: !readOnly });
    }
  }
}

/** arena_clear_freelist_error: a free block that came from an error-flagged entry is zeroed before reuse. */
function clearFreelistError(wr: Writer, arena: Arena, free: FreeEntry): void {
  if (free.block < arena.internalNlba) wr(dataAt(arena, free.block), new Uint8Array(sectorSizeOf(arena.externalLbasize)));
  free.hasErr = false;
}

function sectorSizeOf(externalLbasize: number): number {
  return externalLbasize >= 4096 ? 4096 : 512;
}

function dataAt(arena: BttArenaState, block: number): bigint {
  return arena.offsetBytes + arena.dataoff + BigInt(block) * BigInt(arena.internalLbasize);
}

function mapAt(arena: BttArenaState, premap: number): bigint {
  return arena.offsetBytes + arena.mapoff + BigInt(premap * BTT_MAP_ENTRY_BYTES);
}

/** btt_map_read: both flag bits clear is the initial identity entry; both set is normal; Z alone trim, E alone error. */
function readMap(rd: Reader, arena: BttArenaState, premap: number): { postmap: number; state: BttMapState } {
  const b = rd(mapAt(arena, premap), BTT_MAP_ENTRY_BYTES);
  const raw = new DataView(b.buffer, b.byteOffset, b.byteLength).getUint32(0, true);
  const postmap = raw & BTT_MAP_LBA_MASK;
  switch ((raw & BTT_MAP_FLAGS.normal) >>> 0) {
    case 0: return { postmap: premap, state: "identity" };
    case BTT_MAP_FLAGS.normal: return { postmap, state: "normal" };
    case BTT_MAP_FLAGS.trim: return { postmap, state: "trim" };
    default: return { postmap, state: "error" };
  }
}

/** btt_map_write with neither Z nor E: a normal entry (both flag bits set). */
function writeMap(wr: Writer, arena: BttArenaState, premap: number, postmap: number): void {
  const b = new Uint8Array(BTT_MAP_ENTRY_BYTES);
  new DataView(b.buffer).setUint32(0, ((postmap & BTT_MAP_LBA_MASK) | BTT_MAP_FLAGS.normal) >>> 0, true);
  wr(mapAt(arena, premap), b);
}

class Device implements BttDevice {
  readonly sectorSize: number;
  readonly externalLbasize: number;
  readonly nlba: bigint;
  #writeFailed = false;

  constructor(
    private readonly rd: Reader, private readonly wr: Writer, readonly version: BttVersion, private readonly arenaList: Arena[],
    readonly reasons: readonly Reason[], readonly recovered: readonly BttRecovery[], readonly readOnly: boolean,
  ) {
    this.externalLbasize = arenaList[0]!.externalLbasize;
    this.sectorSize = sectorSizeOf(this.externalLbasize);
    this.nlba = arenaList.reduce((n, a) => n + BigInt(a.externalNlba), 0n);
  }

  get arenas(): readonly BttArenaState[] {
    return this.arenaList.map(({ index: _i, free: _f, ...state }) => ({ ...state, logIndex: [...state.logIndex] as [number, number] }));
  }

  freeBlocks(arena: number): readonly number[] {
    const a = this.arenaList[arena];
    if (a === undefined) throw new RangeError(`no arena ${arena}; the BTT has ${this.arenaList.length}`);
    return a.free.map((f) => f.block);
  }

  lookup(lba: bigint | number): BttMapping {
    const [arena, premap] = this.route(this.checkRange(lba, 1, "lookup"));
    const m = readMap(this.rd, arena, premap);
    return { arena: arena.index, premap, postmap: m.postmap, state: m.state, dataOffsetBytes: dataAt(arena, m.postmap) };
  }

  read(lba: bigint | number, count = 1): Uint8Array {
    const first = this.checkRange(lba, count, "read");
    const out = new Uint8Array(count * this.sectorSize);
    for (let i = 0; i < count; i++) out.set(this.readSector(first + BigInt(i)), i * this.sectorSize);
    return out;
  }

  write(lba: bigint | number, data: Uint8Array): void {
    if (data.length % this.sectorSize !== 0) {
      fail("BTT write", "btt.length", `${data.length} bytes are not whole ${this.sectorSize}-byte sectors`, { bytes: data.length });
    }
    const count = data.length / this.sectorSize;
    const first = this.checkRange(lba, count, "write");
    if (this.readOnly) fail("BTT write", "btt.read-only", "the BTT was opened read-only");
    if (this.#writeFailed) fail("BTT write", "btt.write-failed", "an earlier write failed part way; reopen the BTT to recover it");
    for (let i = 0; i < count; i++) this.writeSector(first + BigInt(i), data.subarray(i * this.sectorSize, (i + 1) * this.sectorSize));
  }

  /** The LBA as a bigint, once [lba, lba + count) is known to lie on the device. */
  private checkRange(lba: bigint | number, count: number, op: string): bigint {
    const bad = (): never => fail(`BTT ${op}`, "btt.lba-range", `${count} sector(s) at lba ${String(lba)} are not within the ${this.nlba} the device has`, { lba, count, nlba: this.nlba });
    if (!Number.isSafeInteger(count) || count < 0) bad();
    if (typeof lba === "number" && !Number.isSafeInteger(lba)) bad();
    const first = BigInt(lba);
    if (first < 0n || first + BigInt(count) > this.nlba) bad();
    return first;
  }

  /** lba_to_arena. */
  private route(lba: bigint): [Arena, number] {
    for (const a of this.arenaList) {
      if (lba < BigInt(a.externalNlba)) return [a, Number(lba)];
      lba -= BigInt(a.externalNlba);
    }
    throw new Error("assertion failed: lba checked against nlba but in no arena");
  }

  /** btt_read_pg for one sector. Linux's RTT and map re-read guard against concurrent writers; there are none here. */
  private readSector(lba: bigint): Uint8Array {
    const [arena, premap] = this.route(lba);
    const m = readMap(this.rd, arena, premap);
    if (m.state === "trim") return new Uint8Array(this.sectorSize);
    if (m.state === "error") fail("BTT read", "btt.media-error", `lba ${lba} is flagged as a media error in the BTT map`, { lba, postmap: m.postmap });
    // Linux does not check this on read; the namespace bounds check would be its only guard.
    if (m.postmap >= arena.internalNlba) fail("BTT read", "btt.map-range", `lba ${lba} maps to block ${m.postmap}, past internal_nlba ${arena.internalNlba}`, { lba, postmap: m.postmap });
    return this.rd(dataAt(arena, m.postmap), this.sectorSize);
  }

  /**
   * btt_write_pg for one sector on lane 0. The order is the point:
   *   1. the data goes to the lane's free block, which nothing maps;
   *   2. the flog entry {lba, old_map, new_map, seq} goes to the lane's older
   *      slot, in two 8-byte halves with seq last, so a torn entry still reads
   *      as the older one;
   *   3. the map entry is pointed at the new block.
   * A crash before step 2 completes leaves the map and the newer log entry as
   * they were: the old data reads back and the free block is still free. A
   * crash between 2 and 3 is finished at the next open (freelistInit rolls the
   * map forward to the new data, which step 1 wrote in full). Either way the
   * sector holds the old or the new contents, never a mix.
   */
  private writeSector(lba: bigint, sector: Uint8Array): void {
    const [arena, premap] = this.route(lba);
    if ((arena.flags & BTT_FLAG_ERROR) !== 0) fail("BTT write", "btt.error-flag", `arena ${arena.index} is flagged in error; Linux refuses writes to it`, { arena: arena.index });
    const free = arena.free[BTT_IO_LANE]!;
    try {
      if (free.hasErr) clearFreelistError(this.wr, arena, free);
      const newPostmap = free.block;
      if (newPostmap >= arena.internalNlba) {
        fail("BTT write", "btt.flog", `lane ${BTT_IO_LANE}'s free block ${newPostmap} is past internal_nlba ${arena.internalNlba}`, { block: newPostmap });
      }
      this.wr(dataAt(arena, newPostmap), sector.slice());
      const old = readMap(this.rd, arena, premap);
      if (old.postmap >= arena.internalNlba) {
        fail("BTT write", "btt.map-range", `lba ${lba} maps to block ${old.postmap}, past internal_nlba ${arena.internalNlba}`, { lba, postmap: old.postmap });
      }
      // An error-flagged entry carries E into the log's old_map (set_e_flag), so the freed block gets cleared.
      const oldMap = old.state === "error" ? (old.postmap | BTT_MAP_FLAGS.error) >>> 0 : old.postmap;
      const entry = BttLogEntry.encode({ lba: premap, oldMap, newMap: newPostmap, seq: free.seq });
      const slotAt = logGroupAt(arena, BTT_IO_LANE) + BigInt(arena.logIndex[free.sub]! * BttLogEntry.size);
      this.wr(slotAt, entry.slice(0, LOG_HALF));
      this.wr(slotAt + BigInt(LOG_HALF), entry.slice(LOG_HALF));
      // btt_flog_write: the lane's next entry goes to the other slot, with the next seq, into the block just freed.
      free.sub = 1 - free.sub;
      free.seq = free.seq === 3 ? 1 : free.seq + 1;
      free.hasErr = old.state === "error";
      free.block = old.postmap;
      writeMap(this.wr, arena, premap, newPostmap);
      if (free.hasErr) clearFreelistError(this.wr, arena, free);
    } catch (e) {
      // A store failure part way leaves the media consistent but this object's freelist possibly ahead of it.
      if (!(e instanceof FormatError)) this.#writeFailed = true;
      throw e;
    }
  }
}
