// Shared pieces for the device-model tests: input pages, output decoding, a
// bounds-checking label store, and QEMU's _FIT loop as the AML runs it.
import { DsmInput, type LabelStore } from "../../src/formats/index.js";

export const MiB = 1n << 20n;
export const GiB = 1n << 30n;
export const KiB128 = 128n * 1024n;

export function u32s(...w: number[]): Uint8Array {
  const b = new Uint8Array(w.length * 4);
  const dv = new DataView(b.buffer);
  w.forEach((x, i) => dv.setUint32(i * 4, x >>> 0, true));
  return b;
}

export function u64s(...w: bigint[]): Uint8Array {
  const b = new Uint8Array(w.length * 8);
  const dv = new DataView(b.buffer);
  w.forEach((x, i) => dv.setBigUint64(i * 8, x, true));
  return b;
}

export function concat(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

/** A 4096-byte input page. */
export function page(handle: number, fn: number, arg3: Uint8Array = new Uint8Array(0), revision = 1): Uint8Array {
  const a = new Uint8Array(DsmInput.sizeOf("arg3"));
  a.set(arg3.subarray(0, a.length));
  return DsmInput.encode({ handle, revision, function: fn, arg3: a });
}

export interface Out {
  len: number;
  status: number;
  payload: Uint8Array;
}

export function decodeOut(out: Uint8Array): Out {
  const dv = new DataView(out.buffer, out.byteOffset, out.byteLength);
  return { len: dv.getUint32(0, true), status: dv.getUint32(4, true), payload: out.slice(8) };
}

export type CheckedStore = LabelStore & { bytes: Uint8Array; reads: number; writes: number; outOfRange: number };

/** A label store that counts every access and every access outside its area. */
export function memoryLabelStore(sizeBytes: number, fill = (i: number) => (i * 7 + 3) & 0xff): CheckedStore {
  const bytes = new Uint8Array(sizeBytes).map((_, i) => fill(i));
  const s: CheckedStore = {
    bytes, reads: 0, writes: 0, outOfRange: 0, sizeBytes,
    read(offset, length) {
      s.reads++;
      if (offset < 0 || length < 0 || offset + length > sizeBytes) s.outOfRange++;
      return bytes.slice(offset, offset + length);
    },
    write(offset, data) {
      s.writes++;
      if (offset < 0 || offset + data.length > sizeBytes) s.outOfRange++;
      else bytes.set(data, offset);
    },
  };
  return s;
}

/**
 * _FIT as QEMU's AML runs it (hw/acpi/nvdimm.c nvdimm_build_fit): read chunks
 * from offset 0; on 0x100 start again; any other failure ends the loop with
 * what was read; an empty chunk is the end. `between` runs after each chunk.
 */
export function readFitLikeAml(call: (p: Uint8Array) => Uint8Array, between: (chunkIndex: number) => void = () => {}): { fit: Uint8Array; restarts: number; calls: number } {
  let fit: Uint8Array = new Uint8Array(0);
  let offset = 0, restarts = 0, calls = 0;
  for (;;) {
    const o = decodeOut(call(page(0x10000, 1, u32s(offset))));
    between(calls++);
    if (o.status === 0x100) {
      fit = new Uint8Array(0);
      offset = 0;
      restarts++;
      continue;
    }
    if (o.status !== 0 || o.payload.length === 0) return { fit, restarts, calls };
    fit = concat(fit, o.payload);
    offset += o.payload.length;
  }
}
