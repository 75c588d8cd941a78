// Type 5: NVDIMM Block Data Window Region Structure (block mode; QEMU emits none).
import { defineStruct, type Record_ } from "../struct.js";
import { assert } from "../reasons.js";
import { NfitType, body, describeFields, tagged, type SubtableCodec } from "./subtable.js";

export const BlockDataWindow = defineStruct({
  name: "nfit_block_data_window",
  size: 40,
  spec: "ACPI 6.4 §5.2.25.7",
  fields: [
    { name: "type", offset: 0, kind: "u16" },
    { name: "length", offset: 2, kind: "u16" },
    { name: "regionIndex", offset: 4, kind: "u16", spec: "the control region this window belongs to" },
    { name: "windowCount", offset: 6, kind: "u16" },
    { name: "offset", offset: 8, kind: "u64", spec: "start of the windows in the control region" },
    { name: "size", offset: 16, kind: "u64", spec: "size of one window" },
    { name: "capacity", offset: 24, kind: "u64", spec: "block-accessible memory capacity" },
    { name: "startAddress", offset: 32, kind: "u64", spec: "DPA of the first block" },
  ],
} as const);

export type NfitBlockDataWindow = Omit<Record_<typeof BlockDataWindow.fields>, "type" | "length"> & {
  kind: "block-data-window";
  type: typeof NfitType.blockDataWindow;
  length?: number;
};

export function nfitBlockDataWindow(init: Partial<Omit<NfitBlockDataWindow, "kind" | "type">> = {}): NfitBlockDataWindow {
  return { ...body(BlockDataWindow.zero()), ...init, kind: "block-data-window", type: NfitType.blockDataWindow };
}

export const blockDataWindowCodec: SubtableCodec<NfitBlockDataWindow> = {
  type: NfitType.blockDataWindow,
  code: "bdw",
  title: "NVDIMM Block Data Window Region",
  decode(sub) {
    if (sub.length !== BlockDataWindow.size) return { problem: `block data window must be ${BlockDataWindow.size} bytes`, expected: String(BlockDataWindow.size) };
    return { value: tagged(BlockDataWindow.decode(sub), "block-data-window", NfitType.blockDataWindow) };
  },
  encode(s) {
    assert((s.length ?? BlockDataWindow.size) === BlockDataWindow.size, `block data window length must be ${BlockDataWindow.size}`);
    return BlockDataWindow.encode({ ...s, type: NfitType.blockDataWindow, length: BlockDataWindow.size });
  },
  describe: (s) => describeFields(BlockDataWindow, s),
};
