// A power-fail campaign: run an operation once to learn every media write it
// makes, then, for each write k, start again from the same bytes and cut the
// power (a) right after write k and (b) with write k torn in half, and hand
// the surviving bytes to a checker that "reboots" from them.
import assert from "node:assert/strict";
import { FaultyMedia, MemoryMedia, isMediaError, type Media } from "../../src/media/index.js";

/** Where the power went out: after `k` whole writes, or with write `k` half landed. */
export interface CutPoint {
  readonly k: number;
  readonly torn: boolean;
  /** Bytes the media accepted before it died (the FaultyMedia budget). */
  readonly budget: number;
  /** The operation ran to its end: only for a clean cut after the last write. */
  readonly completed: boolean;
  readonly what: string;
}

export interface CampaignOptions {
  /** The media as it is before the operation; never written by the campaign. */
  readonly initial: MemoryMedia;
  /** The operation, against a media that may lose power at any write. */
  readonly run: (media: Media) => void;
  /** Checks what survived, without fault injection; the media may be written (a retry). */
  readonly check: (after: MemoryMedia, cut: CutPoint) => void;
  /** Torn writes keep whole units of this size (8: x86 pmem). */
  readonly atomicBytes?: number;
}

export interface CampaignResult {
  readonly writes: number;
  readonly flushes: number;
  readonly cuts: number;
}

/** A byte-for-byte copy of a MemoryMedia (only its allocated pages are copied). */
export function cloneMedia(m: MemoryMedia): MemoryMedia {
  const out = new MemoryMedia(m.sizeBytes, { pageBytes: m.pageBytes });
  for (const r of m.dataRanges()) out.write(r.offset, m.read(r.offset, Number(r.length)));
  return out;
}

function isPowerFail(e: unknown): boolean {
  for (let x: unknown = e; x; x = (x as { cause?: unknown }).cause) if (isMediaError(x, "media.power-failed")) return true;
  return false;
}

/** Runs the checker; its failure names the cut. */
function checked(o: CampaignOptions, media: MemoryMedia, cut: CutPoint): void {
  try {
    o.check(media, cut);
  } catch (e) {
    if (e instanceof Error) e.message = `${cut.what}: ${e.message}`;
    throw e;
  }
}

export function powerFailCampaign(name: string, o: CampaignOptions): CampaignResult {
  const atomicBytes = o.atomicBytes ?? 8;
  const dry = cloneMedia(o.initial);
  const probe = new FaultyMedia(dry);
  o.run(probe);
  const log = probe.writeLog.map((w) => ({ offset: w.offset, length: w.length }));
  assert.ok(log.length > 0, `${name}: the operation wrote nothing`);
  checked(o, dry, { k: log.length, torn: false, budget: probe.bytesWritten, completed: true, what: `${name}: no power cut` });
  let cuts = 0;
  let before = 0;
  for (let k = 1; k <= log.length; k++) {
    const len = log[k - 1]!.length;
    for (const torn of [false, true]) {
      const budget = before + (torn ? Math.floor(len / 2) : len);
      const what = `${name}: power cut ${torn ? "half way through" : "right after"} write ${k}/${log.length} (${len} bytes at ${log[k - 1]!.offset})`;
      const media = cloneMedia(o.initial);
      const f = new FaultyMedia(media, { powerFailAfterBytes: budget, atomicBytes });
      let completed = true;
      try {
        o.run(f);
      } catch (e) {
        if (!isPowerFail(e)) throw new Error(`${what}: the operation failed with something other than the power cut: ${String(e)}`, { cause: e });
        completed = false;
      }
      assert.equal(completed, !torn && k === log.length, `${what}: the power cut ${completed ? "never happened" : "came too early"}`);
      // The cut must fall where the dry run said: the same writes, in the same order.
      assert.deepEqual(f.writeLog.slice(0, k - 1).map((w) => [w.offset, w.length]), log.slice(0, k - 1).map((w) => [w.offset, w.length]), `${what}: the writes differ from the dry run`);
      checked(o, media, { k, torn, budget, completed, what });
      cuts++;
    }
    before += len;
  }
  return { writes: log.length, flushes: probe.flushes, cuts };
}
