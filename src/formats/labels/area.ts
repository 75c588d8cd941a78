// The whole picture of one DIMM's label area: index choice, slots, the
// namespaces Linux would build, what it would reject, and the space that is
// safe to allocate. Unlike Linux, space under a label that fails validation
// is held back, so a later create cannot overwrite data it may describe.
import type { Reason } from "../reasons.js";
import { addU64 } from "../units.js";
import { scanSlots, type CorruptSlot, type SlotLabel } from "./active.js";
import { acceptNamespaces, type LabelRegion, type Namespace, type RejectedSet } from "./namespaces.js";
import { selectIndex, type IndexSelection } from "./read-index.js";

export interface Extent {
  readonly dpa: bigint;
  readonly sizeBytes: bigint;
}

export interface LabelAreaReport {
  readonly selection: IndexSelection;
  /** False when no index is valid: a single raw namespace covers the mapping. */
  readonly labelled: boolean;
  readonly active: readonly SlotLabel[];
  readonly corrupt: readonly CorruptSlot[];
  readonly stale: readonly SlotLabel[];
  readonly freeSlots: number;
  readonly namespaces: readonly Namespace[];
  readonly rejected: readonly RejectedSet[];
  /** Extents held back because a label that failed validation may describe them. */
  readonly suspect: readonly Extent[];
  /** Free extents of the mapping, when its size is known. */
  readonly available?: readonly Extent[];
  /** Every validation failure, in dependency order. */
  readonly reasons: readonly Reason[];
}

export function readLabelArea(area: Uint8Array, region: LabelRegion): LabelAreaReport {
  const selection = selectIndex(area);
  const reasons: Reason[] = [...selection.reasons];
  for (const b of selection.blocks) reasons.push(...b.reasons);
  const current = selection.current;
  if (current < 0 || !selection.layout) {
    const available = region.mappingSizeBytes === undefined ? undefined : [];
    return { selection, labelled: false, active: [], corrupt: [], stale: [], freeSlots: 0, namespaces: [], rejected: [], suspect: [], ...(available ? { available } : {}), reasons };
  }
  const cur = selection.blocks[current as 0 | 1];
  const scan = scanSlots(area, selection.layout, cur.fields!, cur.offset);
  for (const c of scan.corrupt) reasons.push(...c.reasons);
  const { namespaces, rejected } = acceptNamespaces(scan.active, cur.fields!.minor, region);
  for (const r of rejected) reasons.push(...r.reasons);
  const suspect = [...scan.corrupt, ...rejected.flatMap((r) => r.labels)]
    .map(({ label }) => ({ dpa: label.dpa, sizeBytes: label.rawsize }))
    .filter((e) => e.sizeBytes > 0n && addU64(e.dpa, e.sizeBytes) !== undefined);
  const available = region.mappingSizeBytes === undefined
    ? undefined
    : freeExtents(region.mappingDpa, region.mappingSizeBytes, [...namespaces.map((n) => ({ dpa: n.dpa, sizeBytes: n.rawsize })), ...suspect]);
  return {
    selection, labelled: true, active: scan.active, corrupt: scan.corrupt, stale: scan.stale, freeSlots: scan.freeSlots,
    namespaces, rejected, suspect, ...(available ? { available } : {}), reasons,
  };
}

/** The parts of [start, start+size) that no busy extent touches. */
export function freeExtents(start: bigint, sizeBytes: bigint, busy: readonly Extent[]): Extent[] {
  const end = start + sizeBytes;
  const sorted = busy
    .map((e) => ({ s: e.dpa < start ? start : e.dpa, e: e.dpa + e.sizeBytes > end ? end : e.dpa + e.sizeBytes }))
    .filter((x) => x.s < x.e)
    .sort((a, b) => (a.s < b.s ? -1 : a.s > b.s ? 1 : 0));
  const out: Extent[] = [];
  let at = start;
  for (const b of sorted) {
    if (b.s > at) out.push({ dpa: at, sizeBytes: b.s - at });
    if (b.e > at) at = b.e;
  }
  if (at < end) out.push({ dpa: at, sizeBytes: end - at });
  return out;
}
