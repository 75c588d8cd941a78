// The sparse linear P2M list (Juergen Gross, "xen: Switch to virtual mapped
// linear p2m list", 2014, seeds/004): the entry for gfn is entry[gfn], one
// index and no walk. Linux maps the list virtually, so holes cost only page
// table entries pointing at one shared "missing" page. Here the same shape
// in typed arrays: a directory (the page table) maps each 512-gfn page of
// the list to a slot of a page pool (the physical pages). Slot 0 is the
// missing page every hole shares; a page wholly inside a contiguous run maps
// the one shared slot of that run's value; only partially covered pages get
// a slot of their own, copied on write. A lookup is two typed-array reads.
// The price is the directory: 4 B per 512 gfns up to the highest gfn mapped,
// grown twofold (at most 32 MiB at 2^32 gfns).
import { JS_OBJECT_BYTES } from "./frame-backing.js";
import { GFN_LIMIT } from "./limits.js";
import {
  ENTRY_MISSING, ExtentJoiner, P2M_PAGE_ENTRIES, P2M_PAGE_SHIFT, brokenEntry, clipRange, entryFor,
  type P2m, type P2mExtent,
} from "./p2m.js";

const N = P2M_PAGE_ENTRIES;
const MASK = N - 1;

const SLOT_FREE = 0;
const SLOT_PRIVATE = 1;
const SLOT_SHARED = 2;
const SLOT_MISSING = 3;
const MISSING_SLOT = 0;

interface SharedSlot {
  readonly slot: number;
  refs: number;
}

export class LinearP2m implements P2m {
  readonly kind = "linear";
  private dir = new Uint32Array(0);
  /** Mapped (non-missing) directory entries per group of 512, so walks skip empty 1 GiB stretches. */
  private groupUsed = new Uint16Array(0);
  // Just the missing page to start with: every domain has two P2Ms (data and
  // labels) and most label maps stay empty, so a pool made ready for 16 pages
  // cost 128 KiB a domain.
  private pool = new Float64Array(N).fill(ENTRY_MISSING);
  private slotKind = new Uint8Array(1).fill(SLOT_MISSING);
  private used = 1;
  private readonly freeSlots: number[] = [];
  /** Shared slots by their one value. */
  private readonly shared = new Map<number, SharedSlot>();
  private privatePages = 0;

  /**
   * decodeEntry and the page constants, written out: V8 does not fold
   * constants imported from another module, and with them this was 3–14×
   * a flat array read instead of under 2× (bench/hypervisor.ts). The test
   * "linear: lookup's literals" pins the numbers to p2m.ts's.
   */
  lookup(gfn: number): number {
    const dir = this.dir;
    const p = gfn >>> 9;
    if (p >= dir.length) return -1;
    const e = this.pool[dir[p]! * 512 + (gfn & 511)]!;
    if (e < 2 ** 43) return gfn + e;
    return e === 2 ** 52 ? -1 : -2;
  }

  map(gfn: number, mfn: number, nr: number): void {
    this.fill(gfn, nr, entryFor(gfn, mfn));
  }

  unmap(gfn: number, nr: number): void {
    this.fill(gfn, nr, ENTRY_MISSING);
  }

  markBroken(gfn: number): void {
    const p = gfn >>> P2M_PAGE_SHIFT;
    if (p >= this.dir.length) return;
    this.fill(gfn, 1, brokenEntry(this.pool[this.dir[p]! * N + (gfn & MASK)]!));
  }

  *extents(gfn?: number, nr?: number): Generator<P2mExtent> {
    const [start, limit] = clipRange(gfn, nr);
    const end = Math.min(limit, this.dir.length * N);
    // Holes are skipped, not pushed: the joiner closes a run at any gap in gfns.
    const j = new ExtentJoiner();
    for (let p = Math.floor(start / N); p * N < end; p++) {
      if (this.groupUsed[p >>> P2M_PAGE_SHIFT] === 0) {
        p = ((p >>> P2M_PAGE_SHIFT) + 1) * N - 1;
        continue;
      }
      const slot = this.dir[p]!;
      const at = slot * N;
      const base = p * N;
      const k0 = Math.max(start - base, 0);
      const k1 = Math.min(end - base, N);
      if (slot === MISSING_SLOT) continue;
      if (this.slotKind[slot] !== SLOT_PRIVATE) {
        // Consecutive entries sharing this slot are one piece.
        let q = p + 1;
        while (q * N < end && this.dir[q] === slot) q++;
        const e = j.push(base + k0, Math.min(end, q * N) - (base + k0), this.pool[at]!);
        if (e) yield e;
        p = q - 1;
        continue;
      }
      for (let k = k0; k < k1;) {
        const v = this.pool[at + k]!;
        let e = k + 1;
        while (e < k1 && this.pool[at + e] === v) e++;
        const done = v === ENTRY_MISSING ? undefined : j.push(base + k, e - k, v);
        if (done) yield done;
        k = e;
      }
    }
    const last = j.finish();
    if (last) yield last;
  }

  ramBytes(): number {
    return this.dir.byteLength + this.groupUsed.byteLength + this.pool.byteLength + this.slotKind.byteLength + 8 * JS_OBJECT_BYTES + this.shared.size * 40 + this.freeSlots.length * 8;
  }

  /** Directory slots, private pages and shared run pages: for tests and the benchmark. */
  pageCounts(): { directory: number; private: number; shared: number } {
    return { directory: this.dir.length, private: this.privatePages, shared: this.shared.size };
  }

  private fill(g0: number, n: number, v: number): void {
    let end = g0 + n;
    if (v === ENTRY_MISSING) end = Math.min(end, this.dir.length * N);
    else this.grow(Math.ceil(end / N));
    let p = Math.floor(g0 / N);
    while (p * N < end) {
      const base = p * N;
      const k0 = Math.max(g0 - base, 0);
      const k1 = Math.min(end - base, N);
      if (k0 === 0 && k1 === N) {
        const last = Math.floor(end / N);
        this.shareWhole(p, last, v);
        p = last;
        continue;
      }
      const at = this.privatize(p) * N;
      this.pool.fill(v, at + k0, at + k1);
      if (this.uniform(at)) this.replace(p, this.sharedFor(this.pool[at]!, 1));
      p++;
    }
  }

  private uniform(at: number): boolean {
    const v = this.pool[at];
    if (this.pool[at + N - 1] !== v) return false;
    for (let k = 1; k < N - 1; k++) if (this.pool[at + k] !== v) return false;
    return true;
  }

  /** Grows the directory at least twofold; new slots map the missing page (0). */
  private grow(pages: number): void {
    const have = this.dir.length;
    if (have >= pages) return;
    const next = new Uint32Array(Math.min(Math.max(pages, 2 * have), GFN_LIMIT / N));
    next.set(this.dir);
    this.dir = next;
    const groups = new Uint16Array(Math.ceil(next.length / N));
    groups.set(this.groupUsed);
    this.groupUsed = groups;
  }

  /** Maps directory entries [p0, p1) to the shared slot for v, releasing runs of equal old slots at once. */
  private shareWhole(p0: number, p1: number, v: number): void {
    const target = this.sharedFor(v, p1 - p0);
    const dir = this.dir;
    let run = MISSING_SLOT;
    let count = 0;
    for (let g0 = p0; g0 < p1;) {
      const group = g0 >>> P2M_PAGE_SHIFT;
      const g1 = Math.min(p1, (group + 1) * N);
      if (this.groupUsed[group] === 0) {
        // Nothing mapped in this group: its entries all point at the missing slot.
        if (run !== MISSING_SLOT) {
          this.release(run, count);
          run = MISSING_SLOT;
          count = 0;
        }
        count += g1 - g0;
        if (target !== MISSING_SLOT) this.groupUsed[group] = g1 - g0;
        g0 = g1;
        continue;
      }
      let mappedBefore = 0;
      for (let p = g0; p < g1; p++) {
        const old = dir[p]!;
        if (old !== MISSING_SLOT) mappedBefore++;
        if (old === run) {
          count++;
          continue;
        }
        this.release(run, count);
        run = old;
        count = 1;
      }
      this.groupUsed[group]! += (target === MISSING_SLOT ? 0 : g1 - g0) - mappedBefore;
      g0 = g1;
    }
    this.release(run, count);
    dir.fill(target, p0, p1);
  }

  /** The shared slot for v, its count raised by refs. */
  private sharedFor(v: number, refs: number): number {
    if (v === ENTRY_MISSING) return MISSING_SLOT;
    let s = this.shared.get(v);
    if (!s) {
      const slot = this.allocSlot(SLOT_SHARED);
      this.pool.fill(v, slot * N, slot * N + N);
      s = { slot, refs: 0 };
      this.shared.set(v, s);
    }
    s.refs += refs;
    return s.slot;
  }

  /** Drops `count` directory references to slot. */
  private release(slot: number, count: number): void {
    if (count === 0) return;
    const kind = this.slotKind[slot];
    if (kind === SLOT_MISSING) return;
    if (kind === SLOT_SHARED) {
      const v = this.pool[slot * N]!;
      const s = this.shared.get(v)!;
      s.refs -= count;
      if (s.refs > 0) return;
      this.shared.delete(v);
    } else {
      this.privatePages--;
    }
    this.slotKind[slot] = SLOT_FREE;
    this.freeSlots.push(slot);
  }

  private replace(p: number, slot: number): void {
    const old = this.dir[p]!;
    this.release(old, 1);
    this.groupUsed[p >>> P2M_PAGE_SHIFT]! += (slot === MISSING_SLOT ? 0 : 1) - (old === MISSING_SLOT ? 0 : 1);
    this.dir[p] = slot;
  }

  /** Copy on write: a slot of this directory entry's own. */
  private privatize(p: number): number {
    const old = this.dir[p]!;
    if (this.slotKind[old] === SLOT_PRIVATE) return old;
    const slot = this.allocSlot(SLOT_PRIVATE);
    this.pool.copyWithin(slot * N, old * N, old * N + N);
    this.privatePages++;
    this.replace(p, slot);
    return slot;
  }

  private allocSlot(kind: number): number {
    let slot = this.freeSlots.pop();
    if (slot === undefined) {
      if (this.used === this.slotKind.length) {
        // Grow by a sixteenth: still amortised O(1), and the slack stays under
        // 0.5 B per mapped page, which the ≤ 16 B/page worst case needs.
        const slots = this.slotKind.length + Math.max(16, Math.ceil(this.slotKind.length / 16));
        const pool = new Float64Array(slots * N);
        pool.set(this.pool);
        this.pool = pool;
        const kinds = new Uint8Array(slots);
        kinds.set(this.slotKind);
        this.slotKind = kinds;
      }
      slot = this.used++;
    }
    this.slotKind[slot] = kind;
    return slot;
  }
}
