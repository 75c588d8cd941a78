// In-memory namespace byte stores for the BTT engine (src/formats/infoblock/btt-io.ts):
// a sparse one (4 KiB pages, zeros until written) that also fits a > 512 GiB
// multi-arena namespace, with an access log, bounds checking and crash injection.
import type { NamespaceByteStore, NamespaceWrite } from "../../src/formats/index.js";

const PAGE = 4096;

export class SparseStore implements NamespaceByteStore {
  readonly pages: Map<number, Uint8Array>;
  /** Accesses outside [0, sizeBytes): the store throws on each, and records it here. */
  readonly outOfRange: string[] = [];
  writeCalls = 0;
  /** When set, the write call with this 0-based number throws, and so does every later one. */
  failAtWrite: number | undefined;
  /** With failAtWrite: a failing write longer than 8 bytes lands its first half before throwing (a torn data write). */
  tearFailingWrite = false;

  constructor(readonly sizeBytes: bigint, pages: Map<number, Uint8Array> = new Map()) {
    this.pages = pages;
  }

  static from(bytes: Uint8Array): SparseStore {
    const s = new SparseStore(BigInt(bytes.length));
    for (let at = 0; at < bytes.length; at += PAGE) {
      const page = bytes.subarray(at, at + PAGE);
      if (page.some((b) => b !== 0)) s.put(at, page);
    }
    return s;
  }

  /** A fresh store holding the writes (zero fills are already zero here). */
  static withWrites(sizeBytes: bigint, writes: readonly NamespaceWrite[]): SparseStore {
    const s = new SparseStore(sizeBytes);
    for (const w of writes) s.write(w.offset, w.bytes);
    return s;
  }

  /** An independent copy of the contents, without the failure settings. */
  clone(): SparseStore {
    return new SparseStore(this.sizeBytes, new Map([...this.pages].map(([k, v]) => [k, v.slice()])));
  }

  private check(offset: bigint, length: number, op: string): number {
    if (offset < 0n || length < 0 || offset + BigInt(length) > this.sizeBytes) {
      const msg = `${op} ${offset}+${length} outside the ${this.sizeBytes}-byte namespace`;
      this.outOfRange.push(msg);
      throw new RangeError(msg);
    }
    return Number(offset);
  }

  read(offset: bigint, length: number): Uint8Array {
    const at = this.check(offset, length, "read");
    const out = new Uint8Array(length);
    for (let done = 0; done < length;) {
      const p = Math.floor((at + done) / PAGE), inPage = (at + done) % PAGE, n = Math.min(PAGE - inPage, length - done);
      const page = this.pages.get(p);
      if (page) out.set(page.subarray(inPage, inPage + n), done);
      done += n;
    }
    return out;
  }

  write(offset: bigint, bytes: Uint8Array): void {
    const at = this.check(offset, bytes.length, "write");
    const call = this.writeCalls++;
    if (this.failAtWrite !== undefined && call >= this.failAtWrite) {
      if (call === this.failAtWrite && this.tearFailingWrite && bytes.length > 8) this.put(at, bytes.subarray(0, bytes.length >> 1));
      throw new Error(`injected crash at write call ${call}`);
    }
    this.put(at, bytes);
  }

  private put(at: number, bytes: Uint8Array): void {
    for (let done = 0; done < bytes.length;) {
      const p = Math.floor((at + done) / PAGE), inPage = (at + done) % PAGE, n = Math.min(PAGE - inPage, bytes.length - done);
      let page = this.pages.get(p);
      if (!page) this.pages.set(p, (page = new Uint8Array(PAGE)));
      page.set(bytes.subarray(done, done + n), inPage);
      done += n;
    }
  }
}

/** A byte-array store: reads and writes land in `bytes` itself. */
export function arrayStore(bytes: Uint8Array): NamespaceByteStore {
  return {
    read: (offset, length) => bytes.slice(Number(offset), Number(offset) + length),
    write: (offset, data) => bytes.set(data, Number(offset)),
  };
}
