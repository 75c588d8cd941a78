// Reading namespace data on a host DIMM, as dom0 does through /dev/pmemN.
// Writes are only ever made by explicit administrator commands (reserve).
import { SparseFileMedia } from "../media/index.js";

export interface DimmData {
  read(dpa: bigint, length: number): Uint8Array;
  /** Writes and makes durable. */
  write(dpa: bigint, bytes: Uint8Array): void;
}

/**
 * The data area (the first `dataBytes`) of a DIMM backing file. Each access
 * opens the file for just that access, read-only for reads, so a scan never
 * holds a writable descriptor on media it only looks at.
 */
export function fileDimmData(path: string, dataBytes: bigint): DimmData {
  const check = (dpa: bigint, len: number) => {
    if (dpa < 0n || dpa + BigInt(len) > dataBytes) throw new RangeError(`DPA range ${dpa}+${len} is outside the DIMM's ${dataBytes}-byte media`);
  };
  function withMedia<T>(readOnly: boolean, fn: (m: SparseFileMedia) => T): T {
    const m = SparseFileMedia.open(path, { readOnly });
    try { return fn(m); } finally { m.close(); }
  }
  return {
    read(dpa, length) {
      check(dpa, length);
      return withMedia(true, (m) => m.read(dpa, length));
    },
    write(dpa, bytes) {
      check(dpa, bytes.length);
      withMedia(false, (m) => { m.write(dpa, bytes); m.flush(); });
    },
  };
}
