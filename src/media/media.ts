// The byte-store interface every layer above uses to reach NVDIMM media.
//
// The calls are synchronous on purpose. Hypercalls run to completion (Xen
// preempts them explicitly, never in the middle of a frame-table update), so
// an await inside one would only invite interleavings the design does not
// have. A local fs.readSync/writeSync costs a few microseconds, less than a
// promise hop, and a memory store needs no I/O at all.
import { MediaError } from "./errors.js";

/** A contiguous byte range of a media. */
export interface ByteRange {
  readonly offset: bigint;
  readonly length: bigint;
}

export interface Media {
  readonly sizeBytes: bigint;
  readonly readOnly: boolean;
  /** `length` bytes at `offset`; holes read as zeros. */
  read(offset: bigint, length: number): Uint8Array;
  write(offset: bigint, bytes: Uint8Array): void;
  /** Makes every completed write durable (fdatasync for files). */
  flush(): void;
  /** Idempotent; every later call but close throws media.closed. */
  close(): void;
  /**
   * The ranges that may hold nonzero bytes, in ascending order, or undefined
   * when the store cannot tell (Node has no SEEK_DATA). Lets hashMedia skip holes.
   */
  dataRanges?(): Iterable<ByteRange>;
  /**
   * Makes [offset, offset + length) read as zeros and frees its space, where
   * the store can (a hole punched in a sparse file); durable when it returns.
   * False when it cannot: the caller writes zeros instead (see zeroRange).
   */
  discard?(offset: bigint, length: bigint): boolean;
}

/**
 * Checks that [offset, offset + length) lies inside a media of `sizeBytes`
 * and returns the offset as a safe integer. Bigint arithmetic cannot wrap, so
 * the end is computed exactly; a media is never larger than 2^53 bytes
 * (Number.MAX_SAFE_INTEGER), which every check below relies on.
 */
export function checkedOffset(sizeBytes: bigint, offset: bigint, length: number, op: "read" | "write"): number {
  if (typeof offset !== "bigint" || !Number.isSafeInteger(length) || length < 0) {
    throw new MediaError("media.bounds", `${op}: offset must be a bigint and length a non-negative integer`, { op, offset: String(offset), length });
  }
  if (offset < 0n || offset + BigInt(length) > sizeBytes) {
    throw new MediaError("media.bounds", `${op} of ${length} bytes at ${offset} passes the end of a ${sizeBytes}-byte media`, {
      op, offset: String(offset), length, sizeBytes: String(sizeBytes),
    });
  }
  return Number(offset);
}

export function checkedSize(sizeBytes: bigint): bigint {
  if (typeof sizeBytes !== "bigint" || sizeBytes < 0n || sizeBytes > BigInt(Number.MAX_SAFE_INTEGER)) {
    throw new MediaError("media.size", `media size ${String(sizeBytes)} must be a bigint in 0..2^53 − 1`, { sizeBytes: String(sizeBytes) });
  }
  return sizeBytes;
}

/** Tracks open/closed for implementations; throws media.closed when used after close. */
export class OpenState {
  private closed = false;
  constructor(private readonly what: string) {}
  check(): void {
    if (this.closed) throw new MediaError("media.closed", `${this.what} is closed`);
  }
  close(): boolean {
    const was = this.closed;
    this.closed = true;
    return !was;
  }
  get isClosed(): boolean {
    return this.closed;
  }
}

export function refuseReadOnly(what: string): never {
  throw new MediaError("media.read-only", `${what} is open read-only`);
}
