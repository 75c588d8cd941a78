// Raw regions: every persistent-memory range the firmware describes, noted at
// boot as Xen v2–v4 did (xen/drivers/acpi/nfit.c: SPA ranges with the PM
// GUID), plus E820 type-7/12 ranges, which no Xen branch handled. Nothing is
// mapped or written here: this is step 1 of Andrew Cooper's boot order.
import {
  GUIDS, SPA_FLAG_PROXIMITY_VALID, bytesToGuid, decodeE820, decodeNfit, isE820Pmem, nfitStructuresOfKind, reason,
  validateNfit, type Reason,
} from "../formats/index.js";
import { MFN_LIMIT, spaToMfnDown, spaToMfnUp } from "./limits.js";

export interface RawRegion {
  readonly smfn: number;
  /** Exclusive. */
  readonly emfn: number;
  /** The SPA range's proximity domain; undefined when the firmware gave none (E820, or the flag clear). */
  readonly pxm: number | undefined;
  /** "nfit" also when E820 lists the same range; "e820" for the parts no NFIT range covers; "reported" from dom0. */
  readonly source: "nfit" | "e820" | "reported";
}

export type RawRegionReasonCode = "boot.spa-empty" | "boot.spa-overlap" | "boot.e820-empty";

/**
 * The raw regions of a machine, sorted by smfn, from its E820 and NFIT bytes.
 * Never throws: table problems come back as reasons and the bad parts are
 * skipped. Ranges are shrunk to whole pages. An empty `nfit` means the
 * machine has none.
 */
export function rawRegionsFromFirmware(e820: Uint8Array, nfit: Uint8Array): { regions: RawRegion[]; reasons: Reason[] } {
  const reasons: Reason[] = [];
  const fromNfit = nfit.length === 0 ? [] : nfitRanges(nfit, reasons);
  const decoded = decodeE820(e820);
  reasons.push(...decoded.reasons);
  const e820Pmem: [number, number][] = [];
  decoded.entries.forEach((e, index) => {
    if (!isE820Pmem(e.type) || e.sizeBytes === 0n) return;
    const range = pageRange(e.addr, e.addr + e.sizeBytes);
    if (range) e820Pmem.push(range);
    else reasons.push(reason("boot.e820-empty", `E820 entry ${index} holds no whole page below 2^52`, { index }));
  });
  const regions: RawRegion[] = [...fromNfit];
  for (const [s, e] of mergeRanges(e820Pmem)) {
    for (const [ps, pe] of subtract([s, e], fromNfit)) regions.push({ smfn: ps, emfn: pe, pxm: undefined, source: "e820" });
  }
  regions.sort((a, b) => a.smfn - b.smfn);
  return { regions, reasons };
}

function nfitRanges(nfit: Uint8Array, reasons: Reason[]): RawRegion[] {
  // Linux and Xen warn about a bad checksum and use the table anyway; a
  // table that is not an NFIT at all, or is truncated, is ignored.
  const head = validateNfit(nfit);
  reasons.push(...head);
  if (head.some((r) => r.code === "acpi.signature" || r.code === "acpi.truncated" || r.code === "acpi.length")) return [];
  const out: RawRegion[] = [];
  const spas = nfitStructuresOfKind(decodeNfit(nfit).structures, "spa");
  for (const spa of spas) {
    if (bytesToGuid(spa.regionTypeGuid) !== GUIDS.spaPersistentMemory) continue;
    const range = pageRange(spa.addressRangeBase, spa.addressRangeBase + spa.addressRangeLength);
    if (!range) {
      reasons.push(reason("boot.spa-empty", `SPA range ${spa.rangeIndex} holds no whole page below 2^52`, { rangeIndex: spa.rangeIndex }));
      continue;
    }
    const [smfn, emfn] = range;
    const clash = out.find((r) => r.smfn < emfn && smfn < r.emfn);
    if (clash) {
      reasons.push(reason("boot.spa-overlap", `SPA range ${spa.rangeIndex} overlaps an earlier PM range at mfn ${clash.smfn}; skipped`, { rangeIndex: spa.rangeIndex }));
      continue;
    }
    const pxm = spa.flags & SPA_FLAG_PROXIMITY_VALID ? spa.proximityDomain : undefined;
    out.push({ smfn, emfn, pxm, source: "nfit" });
  }
  return out;
}

/** Whole pages inside [start, end), or undefined when there are none or they pass MFN_LIMIT. */
function pageRange(start: bigint, end: bigint): [number, number] | undefined {
  const s = spaToMfnUp(start);
  const e = spaToMfnDown(end);
  if (s >= e || e > BigInt(MFN_LIMIT)) return undefined;
  return [Number(s), Number(e)];
}

function mergeRanges(ranges: [number, number][]): [number, number][] {
  const sorted = [...ranges].sort((a, b) => a[0] - b[0]);
  const out: [number, number][] = [];
  for (const [s, e] of sorted) {
    const last = out[out.length - 1];
    // Only overlapping entries merge: adjacent E820 entries stay separate regions, as Linux keeps them.
    if (last && s < last[1]) last[1] = Math.max(last[1], e);
    else out.push([s, e]);
  }
  return out;
}

function subtract(range: [number, number], covers: readonly RawRegion[]): [number, number][] {
  let pieces: [number, number][] = [range];
  for (const c of covers) {
    pieces = pieces.flatMap(([s, e]): [number, number][] => {
      if (c.emfn <= s || e <= c.smfn) return [[s, e]];
      const left: [number, number][] = s < c.smfn ? [[s, c.smfn]] : [];
      return e > c.emfn ? [...left, [c.emfn, e]] : left;
    });
  }
  return pieces;
}
