// The state of one pmem page, as one byte: a kind in the low bits and a
// broken flag, so a broken page keeps its owner and gfn until it is released
// (Xen's offline_page(): an owned page is "offline pending" until freed).

export const FrameKind = {
  free: 0,
  /** Owned and mapped in the owner's P2M at `gfn`. */
  data: 1,
  /** Owned but not mapped; `gfn` is the page's index in the owner's label area. */
  label: 2,
  /** Holds management structures; never mapped. */
  mgmt: 3,
} as const;

export type FrameKindName = keyof typeof FrameKind;

export const KIND_MASK = 0x3;
export const BROKEN = 0x4;

/** Marks a chunk descriptor whose pages have their own records (frame-table.ts); never a page state. */
export const CHUNK_DENSE = 0xff;

export function kindOf(state: number): number {
  return state & KIND_MASK;
}

export function isBroken(state: number): boolean {
  return (state & BROKEN) !== 0;
}

/** Owned pages carry an owner and a gfn; the others store 0 for both. */
export function isOwned(state: number): boolean {
  const k = state & KIND_MASK;
  return k === FrameKind.data || k === FrameKind.label;
}

/** What a page becomes when its owner lets it go: free, still broken if it was. */
export function releasedState(state: number): number {
  return (state & BROKEN) | FrameKind.free;
}

const NAMES = ["free", "data", "label", "mgmt"] as const;

export function kindName(state: number): FrameKindName {
  return NAMES[state & KIND_MASK]!;
}

/** One page's record, as frame-table lookups return it. */
export interface FrameInfo {
  readonly state: number;
  readonly owner: number;
  readonly gfn: number;
}

/** A maximal run of pages with one state and owner and consecutive gfns. */
export interface FrameRun extends FrameInfo {
  /** Page index of the run's first page within its table. */
  readonly start: number;
  readonly nr: number;
}
