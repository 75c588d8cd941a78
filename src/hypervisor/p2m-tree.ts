// The three-level P2M tree of x86-64 PV guests (Linux arch/x86/xen/p2m.c
// before 2014: p2m_top → p2m_mid → leaf pages, 512 entries each). An entry
// of the top or mid level is either the next level or one value for its
// whole span, like a 1 GiB or 2 MiB page-table entry; unlike a superpage it
// needs no mfn alignment, because values are mfn − gfn. Linux's 512-entry
// top stops at 512 GiB, the limit the linear list removed; this top has
// up to 16384 entries so the tree spans the 2^32 gfns every P2M here must.
import { JS_OBJECT_BYTES } from "./frame-backing.js";
import {
  ENTRY_MISSING, ExtentJoiner, P2M_PAGE_ENTRIES, P2M_PAGE_SHIFT, brokenEntry, clipRange, entryFor,
  type P2m, type P2mExtent,
} from "./p2m.js";

const N = P2M_PAGE_ENTRIES;
const MASK = N - 1;
const MID_SHIFT = 2 * P2M_PAGE_SHIFT;
/** gfns under one top entry: 2^18, 1 GiB of guest space. */
const TOP_SPAN = N * N;

type Leaf = Float64Array;
type Mid = (number | Leaf)[];

export class TreeP2m implements P2m {
  readonly kind = "tree";
  /**
   * Grown up to the highest top entry ever filled (walks stop there), not
   * allocated whole: 16384 entries are 128 KiB, and once one holds a mid
   * every number in the array is boxed, 384 KiB for each P2M of each domain.
   */
  private top: (number | Mid)[] = [];
  private mids = 0;
  private leaves = 0;

  /** Constants written out, as in LinearP2m.lookup (V8 does not fold imported ones). */
  lookup(gfn: number): number {
    const t = this.top[gfn >>> 18];
    if (t === undefined) return -1;
    const m = typeof t === "number" ? t : t[(gfn >>> 9) & 511]!;
    const e = typeof m === "number" ? m : m[gfn & 511]!;
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
    this.fill(gfn, 1, brokenEntry(this.entryAt(gfn)));
  }

  *extents(gfn?: number, nr?: number): Generator<P2mExtent> {
    const [start, limit] = clipRange(gfn, nr);
    const end = Math.min(limit, this.top.length * TOP_SPAN);
    // Holes are skipped, not pushed: the joiner closes a run at any gap in gfns.
    const j = new ExtentJoiner();
    const piece = (g: number, n: number, v: number) => (v === ENTRY_MISSING ? undefined : j.push(g, n, v));
    for (let t = Math.floor(start / TOP_SPAN); t * TOP_SPAN < end; t++) {
      const tb = t * TOP_SPAN;
      const a = Math.max(start, tb);
      const b = Math.min(end, tb + TOP_SPAN);
      const top = this.top[t]!;
      if (top === ENTRY_MISSING) continue;
      if (typeof top === "number") {
        const e = piece(a, b - a, top);
        if (e) yield e;
        continue;
      }
      for (let m = Math.floor((a - tb) / N); tb + m * N < b; m++) {
        const lb = tb + m * N;
        const x = Math.max(a, lb);
        const y = Math.min(b, lb + N);
        const mid = top[m]!;
        if (typeof mid === "number") {
          const e = piece(x, y - x, mid);
          if (e) yield e;
          continue;
        }
        for (let k = x - lb; k < y - lb;) {
          const v = mid[k]!;
          let e = k + 1;
          while (e < y - lb && mid[e] === v) e++;
          const done = piece(lb + k, e - k, v);
          if (done) yield done;
          k = e;
        }
      }
    }
    const last = j.finish();
    if (last) yield last;
  }

  ramBytes(): number {
    return this.top.length * 8 + JS_OBJECT_BYTES + this.mids * (N * 8 + JS_OBJECT_BYTES) + this.leaves * (N * 8 + 2 * JS_OBJECT_BYTES);
  }

  pageCounts(): { mids: number; leaves: number } {
    return { mids: this.mids, leaves: this.leaves };
  }

  private entryAt(gfn: number): number {
    const t = this.top[gfn >>> MID_SHIFT];
    if (t === undefined) return ENTRY_MISSING;
    if (typeof t === "number") return t;
    const m = t[(gfn >>> P2M_PAGE_SHIFT) & MASK]!;
    return typeof m === "number" ? m : m[gfn & MASK]!;
  }

  private fill(g0: number, n: number, v: number): void {
    let end = g0 + n;
    if (v === ENTRY_MISSING) end = Math.min(end, this.top.length * TOP_SPAN);
    else while (this.top.length < Math.ceil(end / TOP_SPAN)) this.top.push(ENTRY_MISSING);
    for (let t = Math.floor(g0 / TOP_SPAN); t * TOP_SPAN < end; t++) {
      const tb = t * TOP_SPAN;
      const a = Math.max(g0, tb);
      const b = Math.min(end, tb + TOP_SPAN);
      if (a === tb && b === tb + TOP_SPAN) {
        this.setTop(t, v);
        continue;
      }
      const mid = this.midAt(t);
      this.fillMid(mid, tb, a, b, v);
      const first = mid[0]!;
      if (typeof first === "number" && mid.every((x) => x === first)) this.setTop(t, first);
    }
  }

  private fillMid(mid: Mid, tb: number, a: number, b: number, v: number): void {
    for (let m = Math.floor((a - tb) / N); tb + m * N < b; m++) {
      const lb = tb + m * N;
      const x = Math.max(a, lb);
      const y = Math.min(b, lb + N);
      if (x === lb && y === lb + N) {
        if (typeof mid[m] !== "number") this.leaves--;
        mid[m] = v;
        continue;
      }
      let leaf = mid[m]!;
      if (typeof leaf === "number") {
        leaf = new Float64Array(N).fill(leaf);
        mid[m] = leaf;
        this.leaves++;
      }
      leaf.fill(v, x - lb, y - lb);
      const first = leaf[0]!;
      if (leaf[N - 1] === first && leaf.every((e) => e === first)) {
        mid[m] = first;
        this.leaves--;
      }
    }
  }

  private midAt(t: number): Mid {
    const top = this.top[t]!;
    if (typeof top !== "number") return top;
    const mid = new Array<number | Leaf>(N).fill(top);
    this.top[t] = mid;
    this.mids++;
    return mid;
  }

  private setTop(t: number, v: number): void {
    const old = this.top[t]!;
    if (typeof old !== "number") {
      this.mids--;
      for (const m of old) if (typeof m !== "number") this.leaves--;
    }
    this.top[t] = v;
  }
}
