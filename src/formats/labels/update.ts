// The label update protocol (Linux label.c: __pmem_label_update, del_labels).
// Nothing is written in place: a label goes to a slot that is free in the
// current index, then the *other* index block is written with the next seq
// and becomes current. A crash between the two writes leaves the old index,
// and so the old label set, intact.
import { assert } from "../reasons.js";
import { rawBytesToText } from "../guid.js";
import { IndexBlockHeader, isSlotFree, sealIndex, setSlotFree } from "./index-block.js";
import { LABEL_FLAGS, writeLabel, type LabelInit } from "./label.js";
import { slotOffset, type LabelAreaLayout } from "./layout.js";
import { nextSeq } from "./seq.js";
import { selectIndex } from "./read-index.js";

/** One write to the label area, in the order it must reach the media. */
export interface LabelWrite {
  readonly offset: number;
  readonly bytes: Uint8Array;
  readonly what: string;
}

export class LabelUpdateError extends Error {
  readonly code: "labels.no-index" | "labels.full" | "labels.unknown-uuid";
  constructor(code: LabelUpdateError["code"], message: string) {
    super(message);
    this.name = "LabelUpdateError";
    this.code = code;
  }
  toJSON(): object {
    return { error: this.name, code: this.code, message: this.message };
  }
}

interface Working {
  area: Uint8Array;
  layout: LabelAreaLayout;
  current: 0 | 1;
  writes: LabelWrite[];
}

function open(area: Uint8Array): Working {
  const sel = selectIndex(area);
  if (sel.current < 0 || !sel.layout) throw new LabelUpdateError("labels.no-index", `Cannot update labels: ${sel.why}; initialise the label area first`);
  return { area: Uint8Array.from(area), layout: sel.layout, current: sel.current as 0 | 1, writes: [] };
}

/** Copies the current index to the other block, lets `edit` change its bitmap, then seals it with the next seq. */
function commitIndex(w: Working, edit: (nextOffset: number) => void): void {
  const S = w.layout.indexSizeBytes;
  const cur = w.current * S;
  const next = (1 - w.current) as 0 | 1;
  const nextOff = next * S;
  const seq = IndexBlockHeader.decode(w.area, cur).seq;
  w.area.copyWithin(nextOff, cur, cur + S);
  edit(nextOff);
  const hdr = IndexBlockHeader.decode(w.area, nextOff);
  IndexBlockHeader.encode({ ...hdr, seq: nextSeq(seq), myoff: BigInt(nextOff), otheroff: BigInt(cur), checksum: 0n }, w.area, nextOff);
  sealIndex(w.area, nextOff, S);
  w.writes.push({ offset: nextOff, bytes: w.area.slice(nextOff, nextOff + S), what: `index block ${next} (seq ${nextSeq(seq)})` });
  w.current = next;
}

function slotsOf(w: Working, uuid: string, indexOff: number): number[] {
  const out: number[] = [];
  const nslot = IndexBlockHeader.decode(w.area, indexOff).nslot;
  for (let s = 0; s < Math.min(nslot, w.layout.nslot); s++) {
    if (isSlotFree(w.area, indexOff, s)) continue;
    const at = slotOffset(w.layout, s);
    if (rawBytesToText(w.area.subarray(at, at + 16)) === uuid) out.push(s);
  }
  return out;
}

/** One pass: the label with `flags` into a new slot; the old labels of its uuid freed. */
function pass(w: Working, label: LabelInit, flags: number): void {
  const S = w.layout.indexSizeBytes;
  const uuid = rawBytesToText(label.uuid);
  const old = slotsOf(w, uuid, w.current * S);
  const nextOff = (1 - w.current) * S;
  // Allocate from a copy of the current bitmap: the first free slot there.
  let slot = -1;
  const nslot = Math.min(IndexBlockHeader.decode(w.area, w.current * S).nslot, w.layout.nslot);
  for (let s = 0; s < nslot; s++) if (isSlotFree(w.area, w.current * S, s)) { slot = s; break; }
  if (slot < 0) throw new LabelUpdateError("labels.full", `Cannot write label: all ${nslot} label slots are in use`);
  const at = slotOffset(w.layout, slot);
  writeLabel(w.area, at, w.layout.labelSizeBytes, { ...label, flags }, slot);
  w.writes.push({ offset: at, bytes: w.area.slice(at, at + w.layout.labelSizeBytes), what: `label ${label.name || uuid} → slot ${slot}${flags & LABEL_FLAGS.UPDATING ? " (UPDATING)" : ""}` });
  commitIndex(w, () => {
    setSlotFree(w.area, nextOff, slot, false);
    for (const s of old) setSlotFree(w.area, nextOff, s, true);
  });
}

/**
 * Writes or replaces the label of one namespace on this DIMM, in Linux's two
 * passes: first with UPDATING set, then with the label's own flags.
 * Returns the writes in order and the resulting area; the input is not mutated.
 */
export function planLabelUpdate(area: Uint8Array, label: LabelInit): { writes: LabelWrite[]; area: Uint8Array } {
  const w = open(area);
  const flags = (label.flags ?? 0) & ~LABEL_FLAGS.UPDATING;
  pass(w, label, flags | LABEL_FLAGS.UPDATING);
  pass(w, label, flags);
  return { writes: w.writes, area: w.area };
}

/** Frees every label of `uuid` with one index write, as destroy-namespace does. */
export function planLabelDelete(area: Uint8Array, uuid: string): { writes: LabelWrite[]; area: Uint8Array } {
  const w = open(area);
  const S = w.layout.indexSizeBytes;
  const slots = slotsOf(w, uuid.toLowerCase(), w.current * S);
  if (slots.length === 0) throw new LabelUpdateError("labels.unknown-uuid", `Cannot delete namespace ${uuid}: no active label has that uuid`);
  const nextOff = (1 - w.current) * S;
  commitIndex(w, () => { for (const s of slots) setSlotFree(w.area, nextOff, s, true); });
  assert(w.writes.length === 1, "a delete is one index write");
  return { writes: w.writes, area: w.area };
}
