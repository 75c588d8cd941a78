// A fresh label area, as `ndctl init-labels` writes it: index block 0 with
// seq 3 and block 1 with seq 2, so that block 0 is current and the first
// update goes to block 1. Only the index blocks are written.
import { writeFreshIndex } from "./index-block.js";
import { labelAreaLayout, type LabelAreaLayout } from "./layout.js";
import type { LabelWrite } from "./update.js";

export type LabelVersion = "1.1" | "1.2";

export function layoutForVersion(configSizeBytes: number, version: LabelVersion): LabelAreaLayout | undefined {
  return labelAreaLayout(configSizeBytes, version === "1.1" ? 128 : 256);
}

/** The two index-block writes of a fresh area of `configSizeBytes`. */
export function initLabelWrites(configSizeBytes: number, version: LabelVersion): LabelWrite[] {
  const layout = layoutForVersion(configSizeBytes, version);
  if (!layout) throw new RangeError(`a ${configSizeBytes}-byte label area is too small for v${version} labels`);
  const scratch = new Uint8Array(2 * layout.indexSizeBytes);
  writeFreshIndex(scratch, layout, 0, 3);
  writeFreshIndex(scratch, layout, 1, 2);
  return [
    { offset: 0, bytes: scratch.slice(0, layout.indexSizeBytes), what: "index block 0 (seq 3)" },
    { offset: layout.indexSizeBytes, bytes: scratch.slice(layout.indexSizeBytes), what: "index block 1 (seq 2)" },
  ];
}

/** Applies writes to an in-memory copy of an area. */
export function applyWrites(area: Uint8Array, writes: readonly LabelWrite[]): Uint8Array {
  for (const w of writes) area.set(w.bytes, w.offset);
  return area;
}
