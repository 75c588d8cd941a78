// The control domain reads and writes DIMM labels only through the _DSM
// mailbox, as Linux's nfit driver does: get the size (fn 4), then read
// (fn 5) and write (fn 6) in chunks no larger than the max transfer.
import { DSM_FN, DSM_STATUS, applyWrites, u32Payload, type DsmRequest, type DsmResponse, type LabelWrite } from "../formats/index.js";

export type Dsm = (req: DsmRequest) => DsmResponse;

export class LabelAccessError extends Error {
  constructor(readonly code: "dsm.failed", message: string, readonly status: number) {
    super(message);
    this.name = "LabelAccessError";
  }
}

function call(dsm: Dsm, handle: number, fn: number, arg3: Uint8Array): DsmResponse {
  const r = dsm({ handle, revision: 1, function: fn, arg3 });
  if (r.status !== DSM_STATUS.SUCCESS) throw new LabelAccessError("dsm.failed", `_DSM function ${fn} on handle ${handle} failed with status ${r.status}`, r.status);
  return r;
}

export function labelAreaSize(dsm: Dsm, handle: number): { sizeBytes: number; maxXfer: number } {
  const p = call(dsm, handle, DSM_FN.GET_LABEL_SIZE, new Uint8Array(0)).payload;
  const dv = new DataView(p.buffer, p.byteOffset, p.byteLength);
  return { sizeBytes: dv.getUint32(0, true), maxXfer: dv.getUint32(4, true) };
}

export function readLabelAreaViaDsm(dsm: Dsm, handle: number): Uint8Array {
  const { sizeBytes, maxXfer } = labelAreaSize(dsm, handle);
  const out = new Uint8Array(sizeBytes);
  for (let off = 0; off < sizeBytes; off += maxXfer) {
    const len = Math.min(maxXfer, sizeBytes - off);
    out.set(call(dsm, handle, DSM_FN.GET_LABEL_DATA, u32Payload(off, len)).payload, off);
  }
  return out;
}

/** Applies label writes in order, each split into max-transfer chunks; returns the new area. */
export function writeLabelsViaDsm(dsm: Dsm, handle: number, area: Uint8Array, writes: readonly LabelWrite[]): Uint8Array {
  const { maxXfer } = labelAreaSize(dsm, handle);
  for (const w of writes) {
    for (let at = 0; at < w.bytes.length; at += maxXfer) {
      const chunk = w.bytes.subarray(at, Math.min(w.bytes.length, at + maxXfer));
      const arg = new Uint8Array(8 + chunk.length);
      arg.set(u32Payload(w.offset + at, chunk.length));
      arg.set(chunk, 8);
      call(dsm, handle, DSM_FN.SET_LABEL_DATA, arg);
    }
  }
  return applyWrites(Uint8Array.from(area), writes);
}
