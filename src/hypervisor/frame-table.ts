// The frame table of one set-up region: every page's state, owner and gfn
// (the gfn column is the M2P). Xen keeps a 32-byte page_info per page and an
// 8-byte M2P entry, 40 B a page, 10 GiB per TiB. Here pages are grouped in
// chunks; a chunk whose pages form one run (same state and owner, gfns
// consecutive) is a 7-byte descriptor, and only a fragmented chunk gets
// per-page records (7 B a page in RAM, or 8 B on the media). Chunks go dense
// when an operation splits them and back to a descriptor when they become
// uniform again, so an unfragmented TiB costs about 0.5 MiB and the worst
// case, every page different, just over 7 B a page.
import { BROKEN, CHUNK_DENSE, isBroken, isOwned, releasedState, type FrameInfo, type FrameRun } from "./frame-state.js";
import { JS_OBJECT_BYTES, type ChunkDescriptors, type DenseChunk, type FrameBacking } from "./frame-backing.js";

/** 4096 pages (16 MiB of data): a dense chunk is then 28 KiB, and a TiB has 65536 descriptors. */
export const DEFAULT_CHUNK_PAGES = 4096;

export class FrameTable {
  readonly nrChunks: number;
  private readonly desc: ChunkDescriptors;

  constructor(
    readonly nrPages: number,
    readonly chunkPages: number,
    private readonly backing: FrameBacking,
    initialState: number,
  ) {
    if (!Number.isSafeInteger(nrPages) || nrPages <= 0 || !Number.isSafeInteger(chunkPages) || chunkPages <= 0) {
      throw new Error(`assertion failed: frame table of ${nrPages} pages in chunks of ${chunkPages}`);
    }
    this.nrChunks = Math.ceil(nrPages / chunkPages);
    this.desc = {
      state: new Uint8Array(this.nrChunks).fill(initialState),
      owner: new Uint16Array(this.nrChunks),
      gfn: new Uint32Array(this.nrChunks),
    };
  }

  get placement(): "ram" | "pmem" {
    return this.backing.placement;
  }

  get descriptors(): ChunkDescriptors {
    return this.desc;
  }

  get(i: number): FrameInfo {
    const c = Math.floor(i / this.chunkPages);
    const k = i - c * this.chunkPages;
    const s = this.desc.state[c]!;
    if (s === CHUNK_DENSE) return this.backing.record(c, k);
    return isOwned(s) ? { state: s, owner: this.desc.owner[c]!, gfn: this.desc.gfn[c]! + k } : { state: s, owner: 0, gfn: 0 };
  }

  /** True when page i is exactly (state, owner, gfn); allocates nothing, for the guest access path. */
  is(i: number, state: number, owner: number, gfn: number): boolean {
    const c = Math.floor(i / this.chunkPages);
    const k = i - c * this.chunkPages;
    const s = this.desc.state[c]!;
    if (s !== CHUNK_DENSE) return s === state && this.desc.owner[c] === owner && this.desc.gfn[c]! + k === gfn;
    const d = this.backing.load(c, this.chunkLength(c));
    return d.state[k] === state && d.owner[k] === owner && d.gfn[k] === gfn;
  }

  /** Pages [i0, i1) take `state`; owned states take `owner` and gfns gfnFirst, gfnFirst + 1, … */
  setRange(i0: number, i1: number, state: number, owner: number, gfnFirst: number): void {
    const owned = isOwned(state);
    const o = owned ? owner : 0;
    const [c0, c1] = this.chunkSpan(i0, i1);
    for (let c = c0; c <= c1; c++) {
      const base = c * this.chunkPages;
      const len = this.chunkLength(c);
      const k0 = Math.max(i0 - base, 0);
      const k1 = Math.min(i1 - base, len);
      const g = owned ? gfnFirst + (base + k0 - i0) : 0;
      if (k0 === 0 && k1 === len) {
        this.setUniform(c, state, o, g);
        continue;
      }
      const d = this.densify(c, len);
      d.state.fill(state, k0, k1);
      d.owner.fill(o, k0, k1);
      if (owned) for (let k = k0; k < k1; k++) d.gfn[k] = g + (k - k0);
      else d.gfn.fill(0, k0, k1);
      this.backing.store(c, d, k0, k1);
      this.collapse(c, d, len, k0, k1);
    }
    this.backing.descriptorsChanged(this.desc, c0, c1 + 1);
  }

  /** Pages [i0, i1) go back to free; broken ones stay broken. */
  releaseRange(i0: number, i1: number): void {
    const [c0, c1] = this.chunkSpan(i0, i1);
    for (let c = c0; c <= c1; c++) {
      const base = c * this.chunkPages;
      const len = this.chunkLength(c);
      const k0 = Math.max(i0 - base, 0);
      const k1 = Math.min(i1 - base, len);
      const s = this.desc.state[c]!;
      if (k0 === 0 && k1 === len && s !== CHUNK_DENSE) {
        this.setUniform(c, releasedState(s), 0, 0);
        continue;
      }
      const d = this.densify(c, len);
      for (let k = k0; k < k1; k++) d.state[k] = releasedState(d.state[k]!);
      d.owner.fill(0, k0, k1);
      d.gfn.fill(0, k0, k1);
      this.backing.store(c, d, k0, k1);
      this.collapse(c, d, len, k0, k1);
    }
    this.backing.descriptorsChanged(this.desc, c0, c1 + 1);
  }

  /** Sets the broken flag, keeping owner and gfn. False when the page was broken already. */
  markBroken(i: number): boolean {
    const before = this.get(i).state;
    if (isBroken(before)) return false;
    const c = Math.floor(i / this.chunkPages);
    const k = i - c * this.chunkPages;
    const len = this.chunkLength(c);
    if (len === 1) {
      this.setUniform(c, before | BROKEN, this.desc.owner[c]!, this.desc.gfn[c]!);
    } else {
      const d = this.densify(c, len);
      d.state[k] = d.state[k]! | BROKEN;
      this.backing.store(c, d, k, k + 1);
      this.collapse(c, d, len, k, k + 1);
    }
    this.backing.descriptorsChanged(this.desc, c, c + 1);
    return true;
  }

  /** The first page in [i0, i1) whose state is not `state`, or -1. */
  firstNotInState(i0: number, i1: number, state: number): number {
    const [c0, c1] = this.chunkSpan(i0, i1);
    for (let c = c0; c <= c1; c++) {
      const s = this.desc.state[c]!;
      if (s === state) continue;
      const base = c * this.chunkPages;
      const k0 = Math.max(i0 - base, 0);
      if (s !== CHUNK_DENSE) return base + k0;
      const len = this.chunkLength(c);
      const k1 = Math.min(i1 - base, len);
      const d = this.backing.load(c, len);
      for (let k = k0; k < k1; k++) if (d.state[k] !== state) return base + k;
    }
    return -1;
  }

  /** Pages by state over the whole table, without building runs: for listings. */
  census(): Map<number, number> {
    const out = new Map<number, number>();
    const add = (s: number, n: number) => out.set(s, (out.get(s) ?? 0) + n);
    for (let c = 0; c < this.nrChunks; c++) {
      const s = this.desc.state[c]!;
      const len = this.chunkLength(c);
      if (s !== CHUNK_DENSE) {
        add(s, len);
        continue;
      }
      const d = this.backing.load(c, len);
      for (let k = 0; k < len; k++) add(d.state[k]!, 1);
    }
    return out;
  }

  /** Maximal runs over [i0, i1): same state and owner, consecutive gfns for owned pages. */
  *runs(i0 = 0, i1 = this.nrPages): Generator<FrameRun> {
    let run: { start: number; nr: number; state: number; owner: number; gfn: number } | undefined;
    const [c0, c1] = this.chunkSpan(i0, i1);
    for (let c = c0; c <= c1; c++) {
      const base = c * this.chunkPages;
      const len = this.chunkLength(c);
      const k0 = Math.max(i0 - base, 0);
      const k1 = Math.min(i1 - base, len);
      const s = this.desc.state[c]!;
      const d = s === CHUNK_DENSE ? this.backing.load(c, len) : undefined;
      for (let k = k0; k < k1;) {
        // A uniform chunk is one piece; a dense one, its runs of continuing pages.
        let e = k1;
        let state = s;
        let owner = 0;
        let gfn = 0;
        if (d) {
          e = k + 1;
          while (e < k1 && continues(d, e - 1)) e++;
          state = d.state[k]!;
          owner = d.owner[k]!;
          gfn = d.gfn[k]!;
        } else if (isOwned(s)) {
          owner = this.desc.owner[c]!;
          gfn = this.desc.gfn[c]! + k;
        }
        if (run && run.state === state && run.owner === owner && (!isOwned(state) || run.gfn + run.nr === gfn)) {
          run.nr += e - k;
        } else {
          if (run) yield run;
          run = { start: base + k, nr: e - k, state, owner, gfn };
        }
        k = e;
      }
    }
    if (run) yield run;
  }

  /** Chunks with per-page records right now. */
  denseChunks(): number {
    let n = 0;
    for (let c = 0; c < this.nrChunks; c++) if (this.desc.state[c] === CHUNK_DENSE) n++;
    return n;
  }

  /** JS memory held: descriptor arrays plus the backing's records, objects estimated. */
  ramBytes(): number {
    return this.nrChunks * 7 + 6 * JS_OBJECT_BYTES + this.backing.ramBytes();
  }

  private chunkLength(c: number): number {
    return Math.min(this.chunkPages, this.nrPages - c * this.chunkPages);
  }

  /** The first and last chunk overlapping [i0, i1). */
  private chunkSpan(i0: number, i1: number): [number, number] {
    return [Math.floor(i0 / this.chunkPages), Math.floor((i1 - 1) / this.chunkPages)];
  }

  private setUniform(c: number, state: number, owner: number, gfn: number): void {
    if (this.desc.state[c] === CHUNK_DENSE) this.backing.drop(c);
    this.desc.state[c] = state;
    this.desc.owner[c] = owner;
    this.desc.gfn[c] = gfn;
  }

  private densify(c: number, len: number): DenseChunk {
    const s = this.desc.state[c]!;
    if (s === CHUNK_DENSE) return this.backing.load(c, len);
    const d = this.backing.create(c, len);
    d.state.fill(s);
    if (isOwned(s)) {
      d.owner.fill(this.desc.owner[c]!);
      const g = this.desc.gfn[c]!;
      for (let k = 0; k < len; k++) d.gfn[k] = g + k;
    }
    this.desc.state[c] = CHUNK_DENSE;
    this.backing.store(c, d, 0, len);
    return d;
  }

  /** Back to a descriptor when the chunk is one run; the neighbours of the change reject most cases in O(1). */
  private collapse(c: number, d: DenseChunk, len: number, k0: number, k1: number): void {
    const s = d.state[k0];
    if (d.state[0] !== s || d.state[len - 1] !== s) return;
    if (k0 > 0 && !continues(d, k0 - 1)) return;
    if (k1 < len && !continues(d, k1 - 1)) return;
    for (let k = 0; k + 1 < len; k++) if (!continues(d, k)) return;
    this.setUniform(c, d.state[0]!, d.owner[0]!, d.gfn[0]!);
  }
}

/** Page k + 1 continues page k's run. */
function continues(d: DenseChunk, k: number): boolean {
  const s = d.state[k]!;
  return d.state[k + 1] === s && d.owner[k + 1] === d.owner[k] && (!isOwned(s) || d.gfn[k + 1] === d.gfn[k]! + 1);
}
