// The control domain reads and writes DIMM labels only through the _DSM
// mailbox, as Linux's nfit driver does: get the size (fn 4), then read
// (fn 5) and write (fn 6) in chunks no larger than the max transfer.
import { DSM_STATUS, applyWrites, labelAreaGeometry, readLabelsInChunks, writeLabelsInChunks, type DsmRequest, type DsmResponse, type LabelDsmCall, type LabelWrite } from "../formats/index.js";

export type Dsm = (req: DsmRequest) => DsmResponse;

export class LabelAccessError extends Error {
  constructor(readonly code: "dsm.failed", message: string, readonly status: number) {
    super(message);
    this.name = "LabelAccessError";
  }
}

function caller(dsm: Dsm, handle: number): LabelDsmCall {
  return (fn, arg3) => {
    const r = dsm({ handle, revision: 1, function: fn, arg3 });
    if (r.status !== DSM_STATUS.SUCCESS) throw new LabelAccessError("dsm.failed", `_DSM function ${fn} on handle ${handle} failed with status ${r.status}`, r.status);
    return r.payload;
  };
}

export function labelAreaSize(dsm: Dsm, handle: number): { sizeBytes: number; maxXfer: number } {
  return labelAreaGeometry(caller(dsm, handle));
}

export function readLabelAreaViaDsm(dsm: Dsm, handle: number): Uint8Array {
  return readLabelsInChunks(caller(dsm, handle));
}

/** Applies label writes in order, each split into max-transfer chunks; returns the new area. */
export function writeLabelsViaDsm(dsm: Dsm, handle: number, area: Uint8Array, writes: readonly LabelWrite[]): Uint8Array {
  const call = caller(dsm, handle);
  writeLabelsInChunks(call, labelAreaGeometry(call).maxXfer, writes);
  return applyWrites(Uint8Array.from(area), writes);
}
