// The caller's side of the label functions, as Linux's nfit driver runs them:
// get the size and max transfer (fn 4), then read (fn 5) or write (fn 6) in
// chunks no larger than that. Shared by the control domain (host DIMMs) and
// the probe guest (its vNVDIMMs); each supplies its own way to call _DSM.
import { DSM_FN, u32Payload } from "./mailbox.js";

/** One _DSM call on one DIMM: the payload of a successful call; throws (the caller's own error) on any other status. */
export type LabelDsmCall = (fn: number, arg3: Uint8Array) => Uint8Array;

export function labelAreaGeometry(call: LabelDsmCall): { sizeBytes: number; maxXfer: number } {
  const p = call(DSM_FN.GET_LABEL_SIZE, new Uint8Array(0));
  if (p.length < 8) return { sizeBytes: 0, maxXfer: 0 };
  const dv = new DataView(p.buffer, p.byteOffset, p.byteLength);
  return { sizeBytes: dv.getUint32(0, true), maxXfer: dv.getUint32(4, true) };
}

export function readLabelsInChunks(call: LabelDsmCall): Uint8Array {
  const { sizeBytes, maxXfer } = labelAreaGeometry(call);
  const out = new Uint8Array(sizeBytes);
  // A zero max transfer would never finish; the mailbox never reports one, a hostile one could.
  if (maxXfer === 0) return out.subarray(0, 0);
  for (let off = 0; off < sizeBytes; off += maxXfer) {
    const len = Math.min(maxXfer, sizeBytes - off);
    out.set(call(DSM_FN.GET_LABEL_DATA, u32Payload(off, len)).subarray(0, len), off);
  }
  return out;
}

export function writeLabelsInChunks(call: LabelDsmCall, maxXfer: number, writes: readonly { offset: number; bytes: Uint8Array }[]): void {
  if (maxXfer <= 0) return;
  for (const w of writes) {
    for (let at = 0; at < w.bytes.length; at += maxXfer) {
      const chunk = w.bytes.subarray(at, Math.min(w.bytes.length, at + maxXfer));
      const arg = new Uint8Array(8 + chunk.length);
      arg.set(u32Payload(w.offset + at, chunk.length));
      arg.set(chunk, 8);
      call(DSM_FN.SET_LABEL_DATA, arg);
    }
  }
}
