// Cross-reference checks between decoded NFIT sub-structures (ACPI 6.4
// §5.2.25.2–8): indexes that must exist, indexes that must be unique, and
// ranges that must not wrap.
import { reason, type Reason } from "../reasons.js";
import { addU64, hex } from "../units.js";
import type { NfitStructure } from "./structures.js";
import type { NfitReasonCode } from "./reason-codes.js";

/** `offsets[i]` is where `structures[i]` starts in the table. */
export function checkNfitCrossReferences(structures: readonly NfitStructure[], offsets: readonly number[]): Reason[] {
  const out: Reason[] = [];
  // Positions are built only for a reason: most tables have none, and this runs per structure.
  const add = (code: NfitReasonCode, message: string, index: number, data: Record<string, unknown>) => out.push(reason(code, message, { index, offset: offsets[index] ?? -1, ...data }));
  const spas = new Map<number, number>();
  const dcrs = new Map<number, number>();
  const interleaves = new Set<number>();
  const handles = new Set<number>();

  structures.forEach((s, index) => {
    if (s.kind === "spa") {
      // Index 0 is how virtual CD/disk ranges say no memdev maps them.
      const first = spas.get(s.rangeIndex);
      if (s.rangeIndex !== 0 && first !== undefined) {
        add("nfit.spa.duplicate-index", `SPA range index ${s.rangeIndex} appears twice`, index, { rangeIndex: s.rangeIndex, first });
      } else spas.set(s.rangeIndex, index);
      if (addU64(s.addressRangeBase, s.addressRangeLength) === undefined) {
        add("nfit.spa.overflow", `SPA range ${s.rangeIndex} base ${hex(s.addressRangeBase)} + length ${hex(s.addressRangeLength)} passes 2^64`, index,
          { rangeIndex: s.rangeIndex, base: hex(s.addressRangeBase), length: hex(s.addressRangeLength) });
      }
    } else if (s.kind === "control-region") {
      const first = dcrs.get(s.regionIndex);
      if (first !== undefined) add("nfit.dcr.duplicate-index", `control region index ${s.regionIndex} appears twice`, index, { regionIndex: s.regionIndex, first });
      else dcrs.set(s.regionIndex, index);
    } else if (s.kind === "interleave") interleaves.add(s.interleaveIndex);
    else if (s.kind === "memdev") handles.add(s.deviceHandle);
  });

  structures.forEach((s, index) => {
    if (s.kind === "memdev") {
      const handle = s.deviceHandle;
      if (s.rangeIndex !== 0 && !spas.has(s.rangeIndex)) add("nfit.memdev.spa", `memdev for handle ${hex(handle)} names SPA range ${s.rangeIndex}, which does not exist`, index, { deviceHandle: handle, rangeIndex: s.rangeIndex });
      // Linux's nfit_mem_dcr_init fails without a control region, so 0 is not exempt.
      if (!dcrs.has(s.controlRegionIndex)) add("nfit.memdev.dcr", `memdev for handle ${hex(handle)} names control region ${s.controlRegionIndex}, which does not exist`, index, { deviceHandle: handle, controlRegionIndex: s.controlRegionIndex });
      if (s.interleaveIndex !== 0 && !interleaves.has(s.interleaveIndex)) add("nfit.memdev.interleave", `memdev for handle ${hex(handle)} names interleave ${s.interleaveIndex}, which does not exist`, index, { deviceHandle: handle, interleaveIndex: s.interleaveIndex });
    } else if (s.kind === "block-data-window" && !dcrs.has(s.regionIndex)) {
      add("nfit.bdw.dcr", `block data window names control region ${s.regionIndex}, which does not exist`, index, { regionIndex: s.regionIndex });
    } else if (s.kind === "flush-hint" && !handles.has(s.deviceHandle)) {
      add("nfit.flush.handle", `flush hint names device handle ${hex(s.deviceHandle)}, which no memdev has`, index, { deviceHandle: s.deviceHandle });
    }
  });
  return out;
}
