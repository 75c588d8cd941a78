// No data remanence: pages that leave a domain (delete, detach, a reclaimed
// half-made allocation) are zeroed before they return to the free pool, as
// OpenStack Nova zeroes a vPMEM namespace when its instance is deleted.
//
// Crash-safe by order: the extent first moves, in one ledger write, from its
// domain to the ledger's `released` list, where no allocation can take it;
// it is zeroed; only then does a second ledger write drop it, which frees it.
// A crash in between leaves it released, and the next delete, detach or
// reclaim zeroes it again (zeroing twice is harmless).
import { PAGE_BYTES, type MediaResolver } from "../hypervisor/index.js";
import { zeroRange } from "../media/index.js";
import { openHostMedia } from "./host-boot.js";
import { crashPoint, readLedger, writeLedger, type Ledger, type LedgerExtent, type ReleasedExtent } from "./ledger.js";

const PAGE = BigInt(PAGE_BYTES);

export type ScrubProgress = (label: string, done: number, total: number) => void;

export function released(from: string, e: Pick<LedgerExtent, "id" | "smfn" | "nrPages">, keep: boolean): ReleasedExtent {
  return { from, id: e.id, smfn: e.smfn, nrPages: e.nrPages, keep, releasedAt: new Date().toISOString() };
}

/** Zeroes one extent's pages, data and label area alike, durably. */
export function scrubExtent(media: MediaResolver, e: Pick<ReleasedExtent, "smfn" | "nrPages">, onProgress?: ScrubProgress, label = "scrubbing"): void {
  const bytes = BigInt(e.nrPages) * PAGE;
  const w = media(BigInt(e.smfn) * PAGE, bytes);
  if (!w) throw new Error(`no host media behind MFNs 0x${e.smfn.toString(16)}+${e.nrPages}`);
  const mib = (b: bigint) => Number((b + (1n << 20n) - 1n) >> 20n);
  zeroRange(w.media, w.offset, bytes, { onProgress: onProgress && ((done, total) => onProgress(label, mib(done), mib(total))) });
}

/**
 * Zeroes every released extent waiting for it (kept ones too with
 * `includeKept`), freeing each with its own ledger write once it is zero.
 * Runs under the toolstack lock. Returns the extents it freed.
 */
export function finishScrubs(state: string, o: { includeKept?: boolean; onProgress?: ScrubProgress } = {}): ReleasedExtent[] {
  let l: Ledger = readLedger(state);
  const todo = l.released.filter((r) => !r.keep || o.includeKept);
  if (!todo.length) return [];
  const host = openHostMedia(state);
  try {
    for (const r of todo) {
      scrubExtent(host.media, r, o.onProgress, `scrubbing ${r.from}/${r.id}`);
      crashPoint("scrub.before-free");
      l.released = l.released.filter((x) => x.smfn !== r.smfn);
      writeLedger(state, l);
      l = readLedger(state);
    }
  } finally {
    host.close();
  }
  return todo;
}
