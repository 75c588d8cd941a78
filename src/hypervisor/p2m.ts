// A domain's P2M (gfn → mfn), one interface with two implementations: the
// sparse linear list and the three-level tree of the 2014 linear-p2m thread
// (seeds/004). Both store, per gfn, the difference mfn − gfn rather than the
// mfn, so a contiguous run is one repeated value: a page of entries wholly
// inside a run is shared (linear), or a tree entry covers its whole span
// (tree). That is what makes populating a TiB take a few thousand writes
// instead of 2^28; Linux's p2m.c plays the same trick with its shared
// p2m_identity and p2m_missing pages.
import { GFN_LIMIT } from "./limits.js";

export type P2mKind = "linear" | "tree";

/** lookup(): nothing is mapped at the gfn. */
export const P2M_MISSING = -1;
/** lookup(): the gfn maps a broken page (Xen's p2m_ram_broken); a guest access faults. */
export const P2M_BROKEN = -2;

/** A maximal run of consecutive gfns mapping consecutive mfns, all broken or none. */
export interface P2mExtent {
  readonly gfn: number;
  readonly mfn: number;
  readonly nr: number;
  readonly broken: boolean;
}

export interface P2m {
  readonly kind: P2mKind;
  /** The mfn at gfn, or P2M_MISSING, or P2M_BROKEN. gfn must be below GFN_LIMIT. */
  lookup(gfn: number): number;
  /** Maps [gfn, gfn + nr) to [mfn, mfn + nr). The caller has checked that nothing is mapped there. */
  map(gfn: number, mfn: number, nr: number): void;
  /** Removes [gfn, gfn + nr). */
  unmap(gfn: number, nr: number): void;
  /** Retypes a mapped gfn as broken; it keeps its mfn. */
  markBroken(gfn: number): void;
  /** The extents overlapping [gfn, gfn + nr), clipped to it, in gfn order. */
  extents(gfn?: number, nr?: number): Generator<P2mExtent>;
  /** JS memory held, typed-array bytes plus an estimate per object. */
  ramBytes(): number;
}

// Entry values. A delta lies in (−GFN_LIMIT, MFN_LIMIT) = (−2^32, 2^40);
// broken entries add 2^44, missing ones are 2^52. All exact in a double.
export const ENTRY_MISSING = 2 ** 52;
const BROKEN_BIAS = 2 ** 44;
export const BROKEN_FROM = 2 ** 43;

export function entryFor(gfn: number, mfn: number): number {
  return mfn - gfn;
}

export function brokenEntry(entry: number): number {
  return entry >= BROKEN_FROM ? entry : entry + BROKEN_BIAS;
}

export function decodeEntry(gfn: number, entry: number): number {
  if (entry >= BROKEN_FROM) return entry === ENTRY_MISSING ? P2M_MISSING : P2M_BROKEN;
  return gfn + entry;
}

/** The extent a run of one entry value makes, or undefined for a hole. */
export function extentOf(gfn: number, nr: number, entry: number): P2mExtent | undefined {
  if (entry === ENTRY_MISSING) return undefined;
  const broken = entry >= BROKEN_FROM;
  return { gfn, mfn: gfn + (broken ? entry - BROKEN_BIAS : entry), nr, broken };
}

/** Builds extents from (gfn, nr, entry) pieces in gfn order: equal entries at adjacent gfns are one extent. */
export class ExtentJoiner {
  private start = 0;
  private nr = 0;
  private entry = ENTRY_MISSING;

  /** Adds a piece; returns the extent it closed, if any. */
  push(gfn: number, nr: number, entry: number): P2mExtent | undefined {
    if (entry === this.entry && gfn === this.start + this.nr) {
      this.nr += nr;
      return undefined;
    }
    const done = this.finish();
    this.start = gfn;
    this.nr = nr;
    this.entry = entry;
    return done;
  }

  finish(): P2mExtent | undefined {
    const e = this.nr > 0 ? extentOf(this.start, this.nr, this.entry) : undefined;
    this.nr = 0;
    this.entry = ENTRY_MISSING;
    return e;
  }
}

export function clipRange(gfn: number | undefined, nr: number | undefined): [number, number] {
  const start = gfn ?? 0;
  return [start, nr === undefined ? GFN_LIMIT : Math.min(GFN_LIMIT, start + nr)];
}

/** Entries per page of either structure: a 4 KiB page of 8-byte entries, as on x86-64. */
export const P2M_PAGE_ENTRIES = 512;
export const P2M_PAGE_SHIFT = 9;
