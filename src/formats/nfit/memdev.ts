// Type 1: NVDIMM Region Mapping Structure ("memdev" in Linux): one DIMM's part of an SPA range.
import { defineStruct, type Record_ } from "../struct.js";
import { assert } from "../reasons.js";
import { NfitType, body, describeFields, tagged, type SubtableCodec } from "./subtable.js";

export const Memdev = defineStruct({
  name: "nfit_memdev",
  size: 48,
  spec: "ACPI 6.4 §5.2.25.3",
  fields: [
    { name: "type", offset: 0, kind: "u16" },
    { name: "length", offset: 2, kind: "u16" },
    { name: "deviceHandle", offset: 4, kind: "u32", spec: "NFIT device handle, the DIMM's _ADR" },
    { name: "physicalId", offset: 8, kind: "u16" },
    { name: "regionId", offset: 10, kind: "u16" },
    { name: "rangeIndex", offset: 12, kind: "u16", spec: "SPA range index; 0 when not mapped" },
    { name: "controlRegionIndex", offset: 14, kind: "u16" },
    { name: "regionSize", offset: 16, kind: "u64" },
    { name: "regionOffset", offset: 24, kind: "u64", spec: "input to the interleave-set cookie" },
    { name: "addressRegionBase", offset: 32, kind: "u64", spec: "DPA of the region" },
    { name: "interleaveIndex", offset: 40, kind: "u16", spec: "0 when not interleaved" },
    { name: "interleaveWays", offset: 42, kind: "u16" },
    { name: "flags", offset: 44, kind: "u16", spec: "bit 3 not armed: Linux makes the region read-only" },
    { name: "reserved", offset: 46, size: 2, kind: "reserved" },
  ],
} as const);

export const MEMDEV_FLAG_SAVE_FAILED = 1 << 0;
export const MEMDEV_FLAG_RESTORE_FAILED = 1 << 1;
export const MEMDEV_FLAG_FLUSH_FAILED = 1 << 2;
export const MEMDEV_FLAG_NOT_ARMED = 1 << 3;
export const MEMDEV_FLAG_HEALTH_OBSERVED = 1 << 4;
export const MEMDEV_FLAG_HEALTH_ENABLED = 1 << 5;
export const MEMDEV_FLAG_MAP_FAILED = 1 << 6;

export type NfitMemdev = Omit<Record_<typeof Memdev.fields>, "type" | "length"> & {
  kind: "memdev";
  type: typeof NfitType.memdev;
  length?: number;
};

export function nfitMemdev(init: Partial<Omit<NfitMemdev, "kind" | "type">> = {}): NfitMemdev {
  return { ...body(Memdev.zero()), ...init, kind: "memdev", type: NfitType.memdev };
}

export const memdevCodec: SubtableCodec<NfitMemdev> = {
  type: NfitType.memdev,
  code: "memdev",
  title: "Memory Range Map",
  decode(sub) {
    if (sub.length !== Memdev.size) return { problem: `memdev must be ${Memdev.size} bytes`, expected: String(Memdev.size) };
    return { value: tagged(Memdev.decode(sub), "memdev", NfitType.memdev) };
  },
  encode(s) {
    assert((s.length ?? Memdev.size) === Memdev.size, `memdev length must be ${Memdev.size}`);
    return Memdev.encode({ ...s, type: NfitType.memdev, length: Memdev.size });
  },
  describe: (s) => describeFields(Memdev, s),
};
