// The interleave-set cookie that namespace labels carry (FORMATS.md §5;
// Linux drivers/acpi/nfit/core.c acpi_nfit_init_interleave_set): one record
// per mapping of an SPA range, sorted by region offset, then Fletcher64.
import { defineStruct } from "../struct.js";
import { fletcher64 } from "../fletcher64.js";
import { FormatError, reason } from "../reasons.js";
import type { NfitSpaRange } from "./spa-range.js";
import type { NfitMemdev } from "./memdev.js";
import type { NfitControlRegion } from "./control-region.js";

/** The v1.1 record (Linux struct nfit_set_info_map). */
export const SetInfoMapV11 = defineStruct({
  name: "nfit_set_info_map",
  size: 16,
  spec: "Linux drivers/acpi/nfit/core.c struct nfit_set_info_map; FORMATS.md §5",
  fields: [
    { name: "regionOffset", offset: 0, kind: "u64" },
    { name: "serialNumber", offset: 8, kind: "u32" },
    { name: "pad", offset: 12, size: 4, kind: "reserved" },
  ],
} as const);

/** The v1.2 record (Linux struct nfit_set_info_map2). */
export const SetInfoMapV12 = defineStruct({
  name: "nfit_set_info_map2",
  size: 48,
  spec: "Linux drivers/acpi/nfit/core.c struct nfit_set_info_map2; FORMATS.md §5",
  fields: [
    { name: "regionOffset", offset: 0, kind: "u64" },
    { name: "serialNumber", offset: 8, kind: "u32" },
    { name: "vendorId", offset: 12, kind: "u16" },
    { name: "manufacturingDate", offset: 14, kind: "u16" },
    { name: "manufacturingLocation", offset: 16, kind: "u8" },
    { name: "reserved", offset: 17, size: 31, kind: "reserved" },
  ],
} as const);

export interface InterleaveSetCookies {
  /** isetcookie in v1.1 labels (Linux cookie1). */
  v11: bigint;
  /** isetcookie in v1.2 labels (Linux cookie2). */
  v12: bigint;
}

/** One DIMM's part in an interleave set, as the cookie records need it. */
export interface CookieMapping {
  readonly regionOffset: bigint;
  readonly serialNumber: number;
  readonly vendorId: number;
  readonly manufacturingDate: number;
  readonly manufacturingLocation: number;
}

/** cookie1 (v1.1 labels) and cookie2 (v1.2 labels) of a set of mappings. */
export function interleaveSetCookies(mappings: readonly CookieMapping[]): InterleaveSetCookies {
  // Linux sorts both record kinds by region offset alone (cmp_map, cmp_map2).
  const maps = [...mappings].sort((a, b) => (a.regionOffset < b.regionOffset ? -1 : a.regionOffset > b.regionOffset ? 1 : 0));
  const v11 = new Uint8Array(SetInfoMapV11.size * maps.length);
  const v12 = new Uint8Array(SetInfoMapV12.size * maps.length);
  maps.forEach((m, i) => {
    SetInfoMapV11.encode(m, v11, i * SetInfoMapV11.size);
    SetInfoMapV12.encode(m, v12, i * SetInfoMapV12.size);
  });
  return { v11: fletcher64(v11), v12: fletcher64(v12) };
}

/**
 * The cookies of the interleave set behind `spa`: its mappings are the
 * memdevs with its range index. Throws FormatError when a mapping's control
 * region is missing, which validateNfit reports as nfit.memdev.dcr.
 */
export function nfitInterleaveSetCookies(spa: NfitSpaRange, memdevs: readonly NfitMemdev[], dcrs: readonly NfitControlRegion[]): InterleaveSetCookies {
  return interleaveSetCookies(memdevs.filter((m) => m.rangeIndex === spa.rangeIndex).map((m) => {
    const dcr = dcrs.find((d) => d.regionIndex === m.controlRegionIndex);
    if (!dcr) {
      throw new FormatError("Cannot compute the interleave-set cookie", [reason("nfit.memdev.dcr",
        `memdev for handle ${m.deviceHandle} names control region ${m.controlRegionIndex}, which does not exist`,
        { deviceHandle: m.deviceHandle, controlRegionIndex: m.controlRegionIndex })]);
    }
    return { regionOffset: m.regionOffset, serialNumber: dcr.serialNumber, vendorId: dcr.vendorId,
      manufacturingDate: dcr.manufacturingDate, manufacturingLocation: dcr.manufacturingLocation };
  }));
}
