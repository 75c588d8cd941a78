// The ledger on disk: a snapshot (ledger.json) and a journal
// (ledger.journal) of the mutations since. Reading is the snapshot plus a
// replay of the journal; a mutation is one appended, fsynced record; now and
// then the journal is compacted into a new snapshot. The format is in
// docs/ledger-journal.md.
//
// Crash safety, by order of writes:
// - an append is acknowledged only after fdatasync; a crash before leaves a
//   torn tail, which the CRC finds and every reader drops, and the next
//   writer cuts off before it appends;
// - a snapshot is written to a temp file, fsynced, renamed over ledger.json
//   and the directory fsynced; only then is the journal rotated (a new one,
//   its header naming the snapshot's generation, renamed over the old). A
//   crash in between leaves the new snapshot and the old journal, whose
//   records the snapshot already holds: each record has a sequence number,
//   and a reader skips those at or below the snapshot's generation.
//
// Writers hold the toolstack lock (lockLedger); readers need none. A reader
// that meets a compaction half way (an old snapshot with a new journal) sees
// a gap in the sequence numbers and reads again.
//
// Each process keeps the ledger it last read, keyed by the files' identity
// (inode, size, mtime), and reads only the journal's new records when the
// snapshot has not changed: a mutation costs the same with 300 domains as
// with none.
import { closeSync, fdatasyncSync, fstatSync, fsyncSync, ftruncateSync, openSync, readSync, renameSync, statSync, writeSync, type BigIntStats } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { z } from "zod";
import { makePrivateDir } from "../host/index.js";
import { crashPoint } from "./crash-point.js";
import { decodeFrames, encodeFrame } from "./journal-frame.js";
import { LedgerOpSchema, applyOps, diffLedger, domainText, type LedgerOp } from "./ledger-ops.js";
import { LedgerSchema, RecordedDomainSchema, ReleasedExtentSchema, big, corrupt, firstIssue, type Ledger } from "./ledger-schema.js";

export const ledgerPath = (state: string) => join(state, "toolstack", "ledger.json");
export const journalPath = (state: string) => join(state, "toolstack", "ledger.journal");

/** The snapshot file: today's ledger with version 2, which vnvdimm before the journal refuses rather than read without its journal. */
const SnapshotSchema = z.object({
  version: z.literal(2), generation: big, domains: z.array(RecordedDomainSchema), released: z.array(ReleasedExtentSchema),
});
const HeaderSchema = z.object({ journal: z.literal("vnvdimm-ledger"), version: z.literal(1), base: big });
const RecordSchema = z.object({ seq: big, ops: z.array(LedgerOpSchema).min(1) });

const EMPTY: Ledger = { version: 1, generation: 0n, domains: [], released: [] };
/** A journal is compacted when it outgrows this and the snapshot (so replay costs at most about a snapshot's read). */
const COMPACT_MIN_BYTES = 256 << 10;
/** How often a reader that keeps meeting a compaction half way reads again before it calls the ledger corrupt. */
const READ_ATTEMPTS = 5;

interface FileRead { stamp: string; ino: bigint; bytes: Buffer }

/** What this process last read of one state directory. Never handed out: readers get a copy. */
interface View {
  ledger: Ledger;
  snapshot: { stamp: string; legacy: boolean; bytes: number } | undefined;
  journal: { stamp: string; ino: bigint; size: number; validEnd: number } | undefined;
}

const views = new Map<string, View>();

const stampOf = (st: BigIntStats) => `${st.ino}:${st.size}:${st.mtimeNs}:${st.ctimeNs}`;

/** Reads a file whole through one descriptor, so the stamp is that of the bytes read; undefined when it does not exist. */
function readWhole(path: string, from = 0): FileRead | undefined {
  let fd: number;
  try { fd = openSync(path, "r"); } catch (e) {
    if ((e as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw e;
  }
  try {
    const st = fstatSync(fd, { bigint: true });
    const size = Number(st.size);
    const bytes = Buffer.alloc(Math.max(0, size - from));
    let got = 0;
    while (got < bytes.length) {
      const n = readSync(fd, bytes, got, bytes.length - got, from + got);
      if (n === 0) break;
      got += n;
    }
    return { stamp: stampOf(st), ino: st.ino, bytes: bytes.subarray(0, got) };
  } finally { closeSync(fd); }
}

function statStamp(path: string): { stamp: string; ino: bigint; size: number } | undefined {
  const st = statSync(path, { bigint: true, throwIfNoEntry: false });
  return st && { stamp: stampOf(st), ino: st.ino, size: Number(st.size) };
}

/** Which version of the ledger is on disk: changes with every mutation, compaction and migration. */
export function ledgerStamp(state: string): string {
  return `${statStamp(ledgerPath(state))?.stamp ?? "none"}/${statStamp(journalPath(state))?.stamp ?? "none"}`;
}

/** There is a ledger (a snapshot, a journal, or today's whole file) in the state directory. */
export function ledgerExists(state: string): boolean {
  return statStamp(ledgerPath(state)) !== undefined || statStamp(journalPath(state)) !== undefined;
}

function parseSnapshot(path: string, bytes: Buffer): { ledger: Ledger; legacy: boolean } {
  let raw: unknown;
  try { raw = JSON.parse(bytes.toString("utf8")); } catch { throw corrupt(path, "not JSON"); }
  const version = (raw as { version?: unknown } | null)?.version;
  if (version === 1) {
    const r = LedgerSchema.safeParse(raw);
    if (!r.success) throw corrupt(path, firstIssue(r.error));
    return { ledger: r.data, legacy: true };
  }
  const r = SnapshotSchema.safeParse(raw);
  if (!r.success) throw corrupt(path, firstIssue(r.error));
  return { ledger: { version: 1, generation: r.data.generation, domains: r.data.domains, released: r.data.released }, legacy: false };
}

/** Why a replay could not go on: a reader raced a compaction (read again), or the journal is damaged. */
class Gap extends Error {}

/**
 * Applies the whole records of `bytes` (journal bytes from offset `from`) to
 * `ledger`: those at or below its generation are in it already and are
 * skipped; the next must follow on. A torn tail is left out.
 */
function replay(path: string, ledger: Ledger, bytes: Buffer, from: number, header: boolean): { ledger: Ledger; validEnd: number } {
  const d = decodeFrames(bytes);
  if (d.wholeAfterTail !== undefined) {
    throw corrupt(path, `the record at byte ${from + d.validEnd} is damaged (${d.tail}) but whole records follow it at byte ${from + d.wholeAfterTail}; this is not a torn append`);
  }
  let frames = d.frames;
  if (header) {
    const h = frames[0] ? parseJson(path, frames[0].payload, HeaderSchema, from) : undefined;
    // A journal without a whole header was never renamed into place; only a damaged disk does that.
    if (!h) throw corrupt(path, "no journal header");
    if (h.base > ledger.generation) throw new Gap(`the journal starts after generation ${h.base}, the snapshot is at ${ledger.generation}`);
    frames = frames.slice(1);
  }
  let l = ledger;
  for (const f of frames) {
    const rec = parseJson(path, f.payload, RecordSchema, from + f.start);
    if (rec.seq <= l.generation) continue;
    if (rec.seq !== l.generation + 1n) throw new Gap(`record ${rec.seq} follows generation ${l.generation}`);
    l = { ...applyOps(l, rec.ops), generation: rec.seq };
  }
  return { ledger: l, validEnd: from + d.validEnd };
}

function parseJson<T extends z.ZodType>(path: string, text: string, schema: T, at: number): z.output<T> {
  let raw: unknown;
  try { raw = JSON.parse(text); } catch { throw corrupt(path, `the record at byte ${at} is not JSON`); }
  const r = schema.safeParse(raw);
  if (!r.success) throw corrupt(path, `the record at byte ${at}: ${firstIssue(r.error)}`);
  return r.data;
}

/** The snapshot and the whole journal, read from scratch. */
function readFromScratch(state: string): View {
  let lastGap = "";
  for (let attempt = 0; attempt < READ_ATTEMPTS; attempt++) {
    const snap = readWhole(ledgerPath(state));
    const parsed = snap ? parseSnapshot(ledgerPath(state), snap.bytes) : { ledger: EMPTY, legacy: false };
    const j = readWhole(journalPath(state));
    const snapshot = snap && { stamp: snap.stamp, legacy: parsed.legacy, bytes: snap.bytes.length };
    if (!j) return { ledger: parsed.ledger, snapshot, journal: undefined };
    try {
      const r = replay(journalPath(state), parsed.ledger, j.bytes, 0, true);
      return { ledger: r.ledger, snapshot, journal: { stamp: j.stamp, ino: j.ino, size: j.bytes.length, validEnd: r.validEnd } };
    } catch (e) {
      if (!(e instanceof Gap)) throw e;
      lastGap = e.message;
    }
  }
  throw corrupt(journalPath(state), lastGap);
}

/** The ledger on disk now, reading only what changed since this process last looked. */
function current(state: string): View {
  const key = resolve(state);
  const was = views.get(key);
  const snap = statStamp(ledgerPath(state));
  const j = statStamp(journalPath(state));
  if (was && (snap?.stamp ?? "") === (was.snapshot?.stamp ?? "")) {
    if (!j && !was.journal) return was;
    if (j && was.journal && j.stamp === was.journal.stamp) return was;
    // Same snapshot, same journal file, grown: replay only the new records.
    if (j && was.journal && j.ino === was.journal.ino && j.size >= was.journal.validEnd) {
      const tail = readWhole(journalPath(state), was.journal.validEnd);
      if (tail && tail.ino === j.ino) {
        try {
          const r = replay(journalPath(state), was.ledger, tail.bytes, was.journal.validEnd, false);
          const v: View = { ledger: r.ledger, snapshot: was.snapshot, journal: { stamp: tail.stamp, ino: tail.ino, size: was.journal.validEnd + tail.bytes.length, validEnd: r.validEnd } };
          views.set(key, v);
          return v;
        } catch (e) {
          // Not what it seemed (a compaction happened in between): read it all.
          if (!(e instanceof Gap)) throw e;
        }
      }
    }
  }
  const v = readFromScratch(state);
  views.set(key, v);
  return v;
}

/**
 * The ledger as it is on disk: the snapshot plus the journal's whole
 * records. Empty when there is none. `fresh` reads every byte again, as a
 * process that just started would.
 */
export function loadLedger(state: string, o: { fresh?: boolean } = {}): Ledger {
  if (o.fresh) views.delete(resolve(state));
  return copy(current(state).ledger);
}

/** A copy the caller may change: each domain from its JSON text, which is kept per domain object (most outlive many mutations). */
function copy(l: Ledger): Ledger {
  return { ...l, domains: JSON.parse(`[${l.domains.map(domainText).join(",")}]`) as Ledger["domains"], released: structuredClone(l.released) };
}

function fsyncDir(dir: string): void {
  const fd = openSync(dir, "r");
  try { fsyncSync(fd); } finally { closeSync(fd); }
}

/** Writes `bytes` at `position` in two halves with a crash point between them: a kill there leaves a torn file, as a power cut would. */
function writeTorn(fd: number, bytes: Buffer, position: number, midPoint: string): void {
  const half = bytes.length >> 1;
  writeAt(fd, bytes.subarray(0, half), position);
  crashPoint(midPoint);
  writeAt(fd, bytes.subarray(half), position + half);
}

function writeAt(fd: number, bytes: Buffer, position: number): void {
  let done = 0;
  while (done < bytes.length) done += writeSync(fd, bytes, done, bytes.length - done, position + done);
}

/** Replaces a file atomically: temp file, fsync, rename, fsync of the directory. */
function replaceFile(path: string, bytes: Buffer, points: { write: string; mid: string; fsync: string; rename: string; renamed: string }): void {
  const tmp = `${path}.tmp-${process.pid}`;
  crashPoint(points.write);
  const fd = openSync(tmp, "w", 0o600);
  try {
    writeTorn(fd, bytes, 0, points.mid);
    crashPoint(points.fsync);
    fsyncSync(fd);
  } finally { closeSync(fd); }
  crashPoint(points.rename);
  renameSync(tmp, path);
  crashPoint(points.renamed);
  fsyncDir(dirname(path));
}

const jsonText = (v: unknown) => JSON.stringify(v, (_k, x: unknown) => (typeof x === "bigint" ? x.toString() : x));

/**
 * Folds the journal into a new snapshot, then starts an empty journal after
 * it. Also the migration of today's whole-file ledger.json (version 1): its
 * first write goes through here. Call with the lock held.
 */
function compact(state: string, l: Ledger): View {
  makePrivateDir(dirname(ledgerPath(state)));
  const snapshot = Buffer.from(JSON.stringify({ version: 2, generation: l.generation.toString(), domains: l.domains, released: l.released }, null, 2) + "\n");
  replaceFile(ledgerPath(state), snapshot, {
    write: "snapshot.before-write", mid: "snapshot.mid-write", fsync: "snapshot.before-fsync", rename: "snapshot.before-rename", renamed: "snapshot.after-rename",
  });
  replaceFile(journalPath(state), encodeFrame(jsonText({ journal: "vnvdimm-ledger", version: 1, base: l.generation })), {
    write: "journal.before-rotate", mid: "journal.mid-rotate", fsync: "journal.before-rotate-fsync", rename: "journal.before-rotate-rename", renamed: "journal.after-rotate",
  });
  const v = readFromScratch(state);
  views.set(resolve(state), v);
  return v;
}

/** How big the journal may grow before it is compacted; VNVDIMM_LEDGER_COMPACT_BYTES sets it for tests. */
function compactAfterBytes(snapshotBytes: number): number {
  const env = Number(process.env["VNVDIMM_LEDGER_COMPACT_BYTES"]);
  return Number.isInteger(env) && env > 0 ? env : Math.max(COMPACT_MIN_BYTES, 2 * snapshotBytes);
}

/**
 * Records the change from the ledger on disk to `next` as one journal record,
 * appended and fsynced before it returns; nothing when they are equal. The
 * caller holds the toolstack lock.
 */
export function appendLedger(state: string, next: Ledger): void {
  let v = current(state);
  // Today's whole-file ledger, or none yet: the first write makes a snapshot and a journal.
  if (!v.journal || v.snapshot?.legacy) v = compact(state, v.ledger);
  const ops: LedgerOp[] = diffLedger(v.ledger, next);
  if (!ops.length) return;
  const seq = v.ledger.generation + 1n;
  const ledger: Ledger = { ...applyOps(v.ledger, ops), generation: seq };
  const frame = encodeFrame(jsonText({ seq, ops }));
  const path = journalPath(state);
  const journal = v.journal!;
  const fd = openSync(path, "r+");
  try {
    // A torn tail (a writer that died mid-append) goes before anything follows it, or it would hide what does.
    if (journal.size > journal.validEnd) {
      crashPoint("journal.before-truncate");
      ftruncateSync(fd, journal.validEnd);
      fdatasyncSync(fd);
      crashPoint("journal.after-truncate");
    }
    crashPoint("journal.before-append");
    const at = journal.validEnd;
    writeTorn(fd, frame, at, "journal.mid-append");
    crashPoint("journal.before-fsync");
    fdatasyncSync(fd);
    crashPoint("journal.after-fsync");
    const st = fstatSync(fd, { bigint: true });
    v = { ledger, snapshot: v.snapshot, journal: { stamp: stampOf(st), ino: st.ino, size: Number(st.size), validEnd: at + frame.length } };
  } finally { closeSync(fd); }
  views.set(resolve(state), v);
  if (v.journal!.validEnd > compactAfterBytes(v.snapshot?.bytes ?? 0)) compact(state, ledger);
}

/** Folds the journal into a new snapshot now (the lock held); for tests and the benchmark. */
export function compactLedger(state: string): void {
  compact(state, current(state).ledger);
}
