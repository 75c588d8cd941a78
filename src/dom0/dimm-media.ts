// Reading namespace data on a host DIMM, as dom0 does through /dev/pmemN.
// Writes are only ever made by explicit administrator commands (reserve).
import { closeSync, fsyncSync, openSync, readSync, writeSync } from "node:fs";

export interface DimmData {
  read(dpa: bigint, length: number): Uint8Array;
  /** Writes and makes durable. */
  write(dpa: bigint, bytes: Uint8Array): void;
}

export function fileDimmData(path: string, dataBytes: bigint): DimmData {
  const check = (dpa: bigint, len: number) => {
    if (dpa < 0n || dpa + BigInt(len) > dataBytes) throw new RangeError(`DPA range ${dpa}+${len} is outside the DIMM's ${dataBytes}-byte media`);
  };
  return {
    read(dpa, length) {
      check(dpa, length);
      const fd = openSync(path, "r");
      try {
        const out = new Uint8Array(length);
        readSync(fd, out, 0, length, Number(dpa));
        return out;
      } finally { closeSync(fd); }
    },
    write(dpa, bytes) {
      check(dpa, bytes.length);
      const fd = openSync(path, "r+");
      try {
        writeSync(fd, bytes, 0, bytes.length, Number(dpa));
        fsyncSync(fd);
      } finally { closeSync(fd); }
    },
  };
}
