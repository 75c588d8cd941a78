// Choosing host pages for a vNVDIMM (`size=`): only inside data regions set
// up from reservations, never over an extent the ledger holds (for any
// domain, in any state) or a broken page; on the requested node when it has
// room, else anywhere; always one contiguous run, because a QEMU
// memory-backend-file maps one file range. Starts are 2 MiB aligned so the
// host can map the extent with huge pages.
import { humanPages } from "../formats/index.js";

export interface FreeRegion { smfn: number; emfn: number; pxm: number | undefined }
export interface Busy { smfn: number; nrPages: number }

export const ALLOC_ALIGN_PAGES = 512;

export interface Allocation { smfn: number; nrPages: number; node: number | undefined }

export type AllocError =
  | { code: "alloc.no-space"; message: string }
  | { code: "alloc.not-free"; message: string };

/** Free runs: data regions minus busy extents and broken pages. */
export function freeRuns(regions: readonly FreeRegion[], busy: readonly Busy[], broken: readonly number[]): (FreeRegion)[] {
  const cuts = [...busy.map((b) => [b.smfn, b.smfn + b.nrPages] as const), ...broken.map((m) => [m, m + 1] as const)].sort((a, b) => a[0] - b[0]);
  const out: FreeRegion[] = [];
  for (const r of regions) {
    let at = r.smfn;
    for (const [s, e] of cuts) {
      if (e <= at || s >= r.emfn) continue;
      if (s > at) out.push({ smfn: at, emfn: s, pxm: r.pxm });
      at = Math.max(at, e);
    }
    if (at < r.emfn) out.push({ smfn: at, emfn: r.emfn, pxm: r.pxm });
  }
  return out;
}

/** Best fit: the smallest aligned run that holds nrPages, on `node` first. */
export function allocate(runs: readonly FreeRegion[], nrPages: number, node?: number): Allocation | AllocError {
  const fits = (r: FreeRegion) => {
    const start = Math.ceil(r.smfn / ALLOC_ALIGN_PAGES) * ALLOC_ALIGN_PAGES;
    return start + nrPages <= r.emfn ? { start, slack: r.emfn - start - nrPages } : undefined;
  };
  const pick = (candidates: readonly FreeRegion[]) => {
    let best: { start: number; slack: number; pxm: number | undefined } | undefined;
    for (const r of candidates) {
      const f = fits(r);
      if (f && (!best || f.slack < best.slack)) best = { ...f, pxm: r.pxm };
    }
    return best;
  };
  const chosen = (node !== undefined ? pick(runs.filter((r) => r.pxm === node)) : undefined) ?? pick(runs);
  if (!chosen) {
    const largest = runs.reduce((m, r) => Math.max(m, r.emfn - r.smfn), 0);
    return { code: "alloc.no-space", message: `no free contiguous run of ${humanPages(nrPages)} in the reserved data regions (largest free run: ${humanPages(largest)})` };
  }
  return { smfn: chosen.start, nrPages, node: chosen.pxm };
}

/** `type=mfn`: the exact range must lie in one free run. */
export function claimExact(runs: readonly FreeRegion[], smfn: number, nrPages: number): Allocation | AllocError {
  const r = runs.find((x) => smfn >= x.smfn && smfn + nrPages <= x.emfn);
  if (!r) return { code: "alloc.not-free", message: `MFNs ${smfn.toString(16)}..${(smfn + nrPages).toString(16)} are not all free in a reserved data region (held by another domain, broken, or outside the data regions)` };
  return { smfn, nrPages, node: r.pxm };
}
