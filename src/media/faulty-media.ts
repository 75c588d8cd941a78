// Fault and power-fail injection around any media, so tests can prove what
// survives a crash: fail the Nth read, write or flush, refuse every write, or
// cut the power after N bytes, tearing the write in flight.
import { MediaError } from "./errors.js";
import type { ByteRange, Media } from "./media.js";

export interface FaultPlan {
  /** The Nth write (1-based, counted from arming) fails and nothing of it lands. */
  failWriteAt?: number;
  failReadAt?: number;
  failFlushAt?: number;
  /** Every write fails: proves that a code path writes nothing. */
  denyWrites?: boolean;
  /**
   * The power fails once this many bytes have been written (from arming). The
   * write that crosses the limit is torn: only its prefix up to the limit
   * lands, then every call fails with media.power-failed.
   */
  powerFailAfterBytes?: number;
  /**
   * Torn writes keep only whole units of this size, aligned on media offsets.
   * 8 models x86 pmem, where aligned 8-byte stores are power-fail atomic
   * (Intel SDM vol. 3 §8.1.1; SNIA NVM Programming Model §10). Default 1.
   */
  atomicBytes?: number;
}

export interface WriteRecord {
  readonly offset: bigint;
  readonly length: number;
  /** How many bytes of it landed: less than length for a torn write, 0 for a failed one. */
  readonly landed: number;
}

export class FaultyMedia implements Media {
  readonly sizeBytes: bigint;
  readonly readOnly: boolean;
  reads = 0;
  writes = 0;
  flushes = 0;
  bytesWritten = 0;
  readonly writeLog: WriteRecord[] = [];
  private plan: FaultPlan = {};
  private armedAt = { reads: 0, writes: 0, flushes: 0 };
  private budgetUsed = 0;
  private dead = false;

  readonly dataRanges?: () => Iterable<ByteRange>;

  constructor(readonly inner: Media, plan: FaultPlan = {}) {
    this.sizeBytes = inner.sizeBytes;
    this.readOnly = inner.readOnly;
    if (inner.dataRanges) this.dataRanges = () => inner.dataRanges!();
    this.arm(plan);
  }

  /** Replaces the plan and restarts its counters; statistics keep counting. */
  arm(plan: FaultPlan): void {
    this.plan = { ...plan };
    this.armedAt = { reads: this.reads, writes: this.writes, flushes: this.flushes };
    this.budgetUsed = 0;
  }

  get poweredOff(): boolean {
    return this.dead;
  }

  read(offset: bigint, length: number): Uint8Array {
    this.alive();
    this.reads++;
    if (this.plan.failReadAt === this.reads - this.armedAt.reads) throw injected("read", this.reads, offset);
    return this.inner.read(offset, length);
  }

  write(offset: bigint, bytes: Uint8Array): void {
    this.alive();
    this.writes++;
    const nth = this.writes - this.armedAt.writes;
    if (this.plan.denyWrites || this.plan.failWriteAt === nth) {
      this.writeLog.push({ offset, length: bytes.length, landed: 0 });
      throw injected("write", this.writes, offset);
    }
    const limit = this.plan.powerFailAfterBytes;
    if (limit !== undefined && this.budgetUsed + bytes.length > limit) {
      const landed = this.tornLength(offset, limit - this.budgetUsed);
      if (landed > 0) this.inner.write(offset, bytes.subarray(0, landed));
      this.writeLog.push({ offset, length: bytes.length, landed });
      this.bytesWritten += landed;
      this.dead = true;
      throw new MediaError("media.power-failed", `power failed during a ${bytes.length}-byte write at ${offset}: ${landed} bytes landed`, {
        offset: String(offset), length: bytes.length, landed,
      });
    }
    this.inner.write(offset, bytes);
    this.budgetUsed += bytes.length;
    this.bytesWritten += bytes.length;
    this.writeLog.push({ offset, length: bytes.length, landed: bytes.length });
  }

  flush(): void {
    this.alive();
    this.flushes++;
    if (this.plan.failFlushAt === this.flushes - this.armedAt.flushes) throw injected("flush", this.flushes, 0n);
    this.inner.flush();
  }

  close(): void {
    this.inner.close();
  }

  private alive(): void {
    if (this.dead) throw new MediaError("media.power-failed", "the media lost power");
  }

  /** The prefix of a write at `offset` that fits in `allowed` bytes, cut to whole atomic units. */
  private tornLength(offset: bigint, allowed: number): number {
    const unit = BigInt(this.plan.atomicBytes ?? 1);
    const end = offset + BigInt(Math.max(0, allowed));
    const cut = (end / unit) * unit;
    return cut > offset ? Number(cut - offset) : 0;
  }
}

function injected(op: string, nth: number, offset: bigint): MediaError {
  return new MediaError("media.injected-fault", `injected ${op} fault (${op} #${nth} at ${offset})`, { op, nth, offset: String(offset) });
}

/** A read-only view of a media: writes fail with media.read-only, reads pass through. */
export function readOnlyMedia(inner: Media): Media {
  return {
    sizeBytes: inner.sizeBytes,
    readOnly: true,
    read: (offset, length) => inner.read(offset, length),
    write: () => {
      throw new MediaError("media.read-only", "media is mapped read-only");
    },
    flush: () => inner.flush(),
    close: () => inner.close(),
    dataRanges: inner.dataRanges ? () => inner.dataRanges!() : undefined,
  };
}
