// Which label slots count: a slot whose bit is clear in the current index,
// whose `slot` field names itself, and (v1.2) whose checksum verifies (Linux
// label.c: slot_valid, nd_label_active). Free slots that still hold a label
// are "stale": ndctl read-labels prints them, Linux ignores them.
import { reason, type Reason } from "../reasons.js";
import { isZeroGuid } from "../guid.js";
import { LabelV12, decodeLabel, labelChecksum, type Label } from "./label.js";
import { isSlotFree } from "./index-block.js";
import { slotOffset, type LabelAreaLayout } from "./layout.js";
import type { IndexBlockFields } from "./index-block.js";
import { hex64 } from "./read-index.js";

export type SlotReasonCode = "label.slot" | "label.checksum";

export interface SlotLabel {
  readonly slot: number;
  readonly offset: number;
  readonly label: Label;
}

export interface CorruptSlot extends SlotLabel {
  readonly reasons: readonly (Reason & { code: SlotReasonCode })[];
}

export interface SlotScan {
  readonly active: readonly SlotLabel[];
  /** In use in the current index but failing slot or checksum validation. */
  readonly corrupt: readonly CorruptSlot[];
  /** Free in the current index, yet holding a label that names its own slot. */
  readonly stale: readonly SlotLabel[];
  readonly freeSlots: number;
}

export function scanSlots(area: Uint8Array, layout: LabelAreaLayout, index: IndexBlockFields, indexOffset: number): SlotScan {
  const active: SlotLabel[] = [];
  const corrupt: CorruptSlot[] = [];
  const stale: SlotLabel[] = [];
  let freeSlots = 0;
  const nslot = Math.min(index.nslot, layout.nslot);
  const dv = new DataView(area.buffer, area.byteOffset, area.byteLength);
  const slotField = LabelV12.offsetOf("slot");
  for (let slot = 0; slot < nslot; slot++) {
    const offset = slotOffset(layout, slot);
    if (offset + layout.labelSizeBytes > area.length) break;
    if (isSlotFree(area, indexOffset, slot)) {
      freeSlots++;
      // Most free slots are empty: look at the slot field before decoding the whole label.
      if (dv.getUint32(offset + slotField, true) !== slot) continue;
      const label = decodeLabel(area, offset, layout.labelSizeBytes);
      if (!isZeroGuid(label.uuid)) stale.push({ slot, offset, label });
      continue;
    }
    const label = decodeLabel(area, offset, layout.labelSizeBytes);
    const reasons: (Reason & { code: SlotReasonCode })[] = [];
    if (label.slot !== slot) reasons.push(reason("label.slot", `slot ${slot} holds a label that names slot ${label.slot}`, { slot, found: label.slot }));
    if (label.version === "1.2") {
      const sum = labelChecksum(area, offset);
      if (sum !== label.checksum) reasons.push(reason("label.checksum", `label in slot ${slot} checksum mismatch`, { slot, stored: hex64(label.checksum!), computed: hex64(sum) }));
    }
    if (reasons.length) corrupt.push({ slot, offset, label, reasons });
    else active.push({ slot, offset, label });
  }
  return { active, corrupt, stale, freeSlots };
}
