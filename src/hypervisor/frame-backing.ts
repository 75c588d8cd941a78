// Where a frame table keeps the per-page records of its fragmented chunks:
// typed arrays in RAM, or the management area on the NVDIMM (pmem_mgmt=pmem).
import type { FrameInfo } from "./frame-state.js";

/**
 * The per-page records of one chunk: 7 bytes a page, all in one ArrayBuffer
 * (gfn Uint32, owner Uint16, state Uint8) so a chunk costs one backing store.
 */
export interface DenseChunk {
  readonly state: Uint8Array;
  readonly owner: Uint16Array;
  readonly gfn: Uint32Array;
}

export const DENSE_BYTES_PER_PAGE = 7;

export function newDenseChunk(length: number): DenseChunk {
  const buf = new ArrayBuffer(length * DENSE_BYTES_PER_PAGE);
  return {
    gfn: new Uint32Array(buf, 0, length),
    owner: new Uint16Array(buf, length * 4, length),
    state: new Uint8Array(buf, length * 6, length),
  };
}

/** The chunk descriptors, which always live in RAM and which a pmem backing mirrors. */
export interface ChunkDescriptors {
  readonly state: Uint8Array;
  readonly owner: Uint16Array;
  readonly gfn: Uint32Array;
}

export interface FrameBacking {
  readonly placement: "ram" | "pmem";
  /** New, uninitialised records for a chunk; the caller fills them and calls store. */
  create(chunk: number, length: number): DenseChunk;
  /** The chunk's records. For RAM these are live; for pmem a copy, written back by store. */
  load(chunk: number, length: number): DenseChunk;
  /** Persists records [k0, k1) of a chunk. */
  store(chunk: number, records: DenseChunk, k0: number, k1: number): void;
  record(chunk: number, k: number): FrameInfo;
  /** The chunk went back to a uniform descriptor; its records are dead. */
  drop(chunk: number): void;
  /** Descriptors [first, end) changed. */
  descriptorsChanged(descriptors: ChunkDescriptors, first: number, end: number): void;
  /** Bytes of JS memory this backing holds, typed-array bytes plus an estimate per object. */
  ramBytes(): number;
}

/**
 * V8's cost of one ArrayBuffer or typed-array object beyond its bytes: header,
 * map, backing-store record. An estimate (bench/hypervisor.ts checks it
 * against process.memoryUsage()), used only for reporting.
 */
export const JS_OBJECT_BYTES = 96;

/** Records in RAM: one DenseChunk per fragmented chunk, in a Map so unfragmented tables pay nothing. */
export class RamFrameBacking implements FrameBacking {
  readonly placement = "ram";
  private readonly chunks = new Map<number, DenseChunk>();
  private bytes = 0;

  create(chunk: number, length: number): DenseChunk {
    const d = newDenseChunk(length);
    this.chunks.set(chunk, d);
    this.bytes += length * DENSE_BYTES_PER_PAGE + 4 * JS_OBJECT_BYTES;
    return d;
  }

  load(chunk: number): DenseChunk {
    const d = this.chunks.get(chunk);
    if (!d) throw new Error(`assertion failed: chunk ${chunk} has no records`);
    return d;
  }

  store(): void {}

  record(chunk: number, k: number): FrameInfo {
    const d = this.load(chunk);
    return { state: d.state[k]!, owner: d.owner[k]!, gfn: d.gfn[k]! };
  }

  drop(chunk: number): void {
    const d = this.chunks.get(chunk);
    if (!d) return;
    this.chunks.delete(chunk);
    this.bytes -= d.state.length * DENSE_BYTES_PER_PAGE + 4 * JS_OBJECT_BYTES;
  }

  descriptorsChanged(): void {}

  ramBytes(): number {
    // A Map entry costs about three words.
    return this.bytes + this.chunks.size * 24;
  }
}
