// A media held in memory, for tests and benchmarks. Sparse like a sparse
// file: pages are allocated when first written with nonzero bytes, so a
// 1 TiB MemoryMedia costs nothing until something lands on it.
import { MediaError } from "./errors.js";
import { OpenState, checkedOffset, checkedSize, refuseReadOnly, type ByteRange, type Media } from "./media.js";

export interface MemoryMediaOptions {
  /** Allocation granule; a power of two. 64 KiB keeps the page map small for large writes. */
  pageBytes?: number;
  readOnly?: boolean;
}

export class MemoryMedia implements Media {
  readonly sizeBytes: bigint;
  readonly readOnly: boolean;
  readonly pageBytes: number;
  private readonly pages = new Map<number, Uint8Array>();
  private readonly state = new OpenState("memory media");

  constructor(sizeBytes: bigint, options: MemoryMediaOptions = {}) {
    this.sizeBytes = checkedSize(sizeBytes);
    this.readOnly = options.readOnly ?? false;
    this.pageBytes = options.pageBytes ?? 64 * 1024;
    if (!Number.isSafeInteger(this.pageBytes) || this.pageBytes <= 0 || (this.pageBytes & (this.pageBytes - 1)) !== 0) {
      throw new MediaError("media.size", `page size ${this.pageBytes} must be a power of two`, { pageBytes: this.pageBytes });
    }
  }

  /** Bytes of pages actually allocated. */
  get allocatedBytes(): number {
    return this.pages.size * this.pageBytes;
  }

  read(offset: bigint, length: number): Uint8Array {
    this.state.check();
    const at = checkedOffset(this.sizeBytes, offset, length, "read");
    const out = new Uint8Array(length);
    this.eachPiece(at, length, (page, inPage, done, n) => {
      const p = this.pages.get(page);
      if (p) out.set(p.subarray(inPage, inPage + n), done);
    });
    return out;
  }

  write(offset: bigint, bytes: Uint8Array): void {
    this.state.check();
    if (this.readOnly) refuseReadOnly("memory media");
    const at = checkedOffset(this.sizeBytes, offset, bytes.length, "write");
    this.eachPiece(at, bytes.length, (page, inPage, done, n) => {
      const src = bytes.subarray(done, done + n);
      let p = this.pages.get(page);
      if (!p) {
        // Zeros written into a hole leave it a hole, as the content is the same.
        if (isZero(src)) return;
        p = new Uint8Array(this.pageBytes);
        this.pages.set(page, p);
      }
      p.set(src, inPage);
    });
  }

  flush(): void {
    this.state.check();
  }

  close(): void {
    if (this.state.close()) this.pages.clear();
  }

  *dataRanges(): Iterable<ByteRange> {
    this.state.check();
    const size = BigInt(this.pageBytes);
    for (const page of [...this.pages.keys()].sort((a, b) => a - b)) {
      const offset = BigInt(page) * size;
      const end = offset + size < this.sizeBytes ? offset + size : this.sizeBytes;
      yield { offset, length: end - offset };
    }
  }

  private eachPiece(at: number, length: number, fn: (page: number, inPage: number, done: number, n: number) => void): void {
    let done = 0;
    while (done < length) {
      const pos = at + done;
      const page = Math.floor(pos / this.pageBytes);
      const inPage = pos - page * this.pageBytes;
      const n = Math.min(this.pageBytes - inPage, length - done);
      fn(page, inPage, done, n);
      done += n;
    }
  }
}

export function isZero(b: Uint8Array): boolean {
  // Word-at-a-time when aligned; the byte loop handles the rest.
  let i = 0;
  if (b.byteOffset % 4 === 0) {
    const words = new Uint32Array(b.buffer, b.byteOffset, b.length >>> 2);
    for (let w = 0; w < words.length; w++) if (words[w] !== 0) return false;
    i = words.length << 2;
  }
  for (; i < b.length; i++) if (b[i] !== 0) return false;
  return true;
}
