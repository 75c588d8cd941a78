// Type 0: System Physical Address (SPA) Range Structure.
import { defineStruct, type Record_ } from "../struct.js";
import { assert } from "../reasons.js";
import { NfitType, body, decodePadded, tagged, describeFields, encodeShortened, type SubtableCodec } from "./subtable.js";

/** 64 bytes with the location cookie; 56 without it (flags bit 2 clear). */
export const SpaRange = defineStruct({
  name: "nfit_spa_range",
  size: 64,
  spec: "ACPI 6.4 §5.2.25.2",
  fields: [
    { name: "type", offset: 0, kind: "u16" },
    { name: "length", offset: 2, kind: "u16" },
    { name: "rangeIndex", offset: 4, kind: "u16", spec: "0 is reserved for ranges no memdev maps (virtual CD/disk)" },
    { name: "flags", offset: 6, kind: "u16", spec: "bit 0 add/online only, bit 1 proximity valid, bit 2 location cookie valid" },
    { name: "reserved", offset: 8, size: 4, kind: "reserved" },
    { name: "proximityDomain", offset: 12, kind: "u32" },
    { name: "regionTypeGuid", offset: 16, kind: "guid", spec: "e.g. persistent memory 66f0d379-…" },
    { name: "addressRangeBase", offset: 32, kind: "u64" },
    { name: "addressRangeLength", offset: 40, kind: "u64" },
    { name: "memoryMapAttribute", offset: 48, kind: "u64", spec: "UEFI EFI_MEMORY_* bits" },
    { name: "locationCookie", offset: 56, kind: "u64", spec: "ACPI 6.3+; present only when flags bit 2 is set" },
  ],
} as const);

export const SPA_FLAG_ADD_ONLINE_ONLY = 1 << 0;
export const SPA_FLAG_PROXIMITY_VALID = 1 << 1;
export const SPA_FLAG_LOCATION_COOKIE = 1 << 2;
/** EFI_MEMORY_WB | EFI_MEMORY_NV (UEFI 2.9 §7.2), as QEMU sets for pmem. */
export const EFI_MEMORY_WB_NV = 0x8008n;

export type NfitSpaRange = Omit<Record_<typeof SpaRange.fields>, "type" | "length"> & {
  kind: "spa";
  type: typeof NfitType.spaRange;
  /** As decoded; when absent, encode derives it from the flags. */
  length?: number;
};

/** The one length Linux accepts for these flags (FORMATS.md §2). */
export function spaRangeLength(flags: number): number {
  return flags & SPA_FLAG_LOCATION_COOKIE ? SpaRange.size : SpaRange.offsetOf("locationCookie");
}

export function nfitSpaRange(init: Partial<Omit<NfitSpaRange, "kind" | "type">> = {}): NfitSpaRange {
  return { ...body(SpaRange.zero()), ...init, kind: "spa", type: NfitType.spaRange };
}

export const spaRangeCodec: SubtableCodec<NfitSpaRange> = {
  type: NfitType.spaRange,
  code: "spa",
  title: "System Physical Address Range",
  decode(sub) {
    const rec = decodePadded(SpaRange, sub);
    const expected = spaRangeLength(rec.flags);
    if (sub.length !== expected) return { problem: `SPA range with flags 0x${rec.flags.toString(16)} must be ${expected} bytes`, expected: String(expected) };
    return { value: tagged(rec, "spa", NfitType.spaRange) };
  },
  encode(s) {
    const length = s.length ?? spaRangeLength(s.flags);
    assert(length === spaRangeLength(s.flags), `SPA range length ${length} does not match flags 0x${s.flags.toString(16)}`);
    return encodeShortened(SpaRange.encode({ ...s, type: NfitType.spaRange, length }), length, "SPA range");
  },
  describe(s) {
    const d = describeFields(SpaRange, s);
    if (!(s.flags & SPA_FLAG_LOCATION_COOKIE)) delete d.locationCookie;
    return d;
  },
};
