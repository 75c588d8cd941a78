// pmem_setup: turning part of a raw region into a management or a data
// region, with the rules of the Xen series v3/v4 (XEN_SYSCTL_nvdimm_op,
// xen-ndctl setup-mgmt/setup-data), checked in dependency order:
//  1. the range is well formed;
//  2. it lies inside one raw region, hence one proximity domain;
//  3. it overlaps no other management or data region;
//  4. a data region names an existing management region, exactly (required when the
//     structures go on pmem; in RAM, optional, since pmem_mgmt=ram is always
//     possible as in the 2016 note, though Xen v3 dropped it);
//  5. that region is in the same proximity domain, so the frame table is
//     node-local;
//  6. it has room left for the data region's frame table (MGMT_BYTES_PER_PAGE
//     per data page, mgmt-layout.ts).
// Only when pmem_mgmt=pmem does setup write, and only into the management
// area it was given: never at boot, never into data.
import { isMediaError, type Media } from "../media/index.js";
import { FrameTable } from "./frame-table.js";
import { RamFrameBacking } from "./frame-backing.js";
import { PmemFrameBacking } from "./pmem-frame-backing.js";
import { FrameKind } from "./frame-state.js";
import { MFN_LIMIT, isIndex, mfnToSpa } from "./limits.js";
import { mgmtLayout } from "./mgmt-layout.js";
import { fail, ok, type HypercallResult } from "./result.js";
import type { DataRegion, MgmtRegion, PmemRegions } from "./regions.js";

export type PmemMgmtPlacement = "ram" | "pmem";

export interface PmemSetupRequest {
  readonly type: "mgmt" | "data";
  readonly smfn: number;
  /** Exclusive. */
  readonly emfn: number;
  /** The management region of a data region: exactly the range of one set up earlier. */
  readonly mgmtSmfn?: number;
  readonly mgmtEmfn?: number;
}

/** Where SPA `spa` (a management area of `sizeBytes`) lies on some media: media offset `offset`. */
export interface MediaWindow {
  readonly media: Media;
  readonly offset: bigint;
}

export type MediaResolver = (spa: bigint, sizeBytes: bigint) => MediaWindow | undefined;

export interface SetupContext {
  readonly regions: PmemRegions;
  readonly placement: PmemMgmtPlacement;
  readonly chunkPages: number;
  readonly media: MediaResolver | undefined;
}

export type SetupReasonCode =
  | "setup.type" | "setup.range" | "setup.outside-raw" | "setup.overlap" | "setup.broken-page"
  | "setup.mgmt-required" | "setup.mgmt-range" | "setup.mgmt-missing" | "setup.mgmt-pxm" | "setup.mgmt-too-small"
  | "setup.mgmt-no-media" | "setup.mgmt-io";

export function pmemSetup(ctx: SetupContext, req: PmemSetupRequest): HypercallResult<DataRegion | MgmtRegion> {
  const r = req as Partial<PmemSetupRequest> | undefined;
  if (r?.type !== "mgmt" && r?.type !== "data") return fail("EINVAL", "setup.type", `setup type must be "mgmt" or "data"`);
  const { smfn, emfn } = r;
  if (!isIndex(smfn, MFN_LIMIT) || !isIndex(emfn, MFN_LIMIT + 1) || smfn >= emfn) {
    return fail("EINVAL", "setup.range", `[${String(smfn)}, ${String(emfn)}) is not a non-empty MFN range below 2^40`);
  }
  const raw = ctx.regions.rawContaining(smfn, emfn);
  if (!raw) return fail("EINVAL", "setup.outside-raw", `[${smfn}, ${emfn}) does not lie inside one raw pmem region`);
  const clash = ctx.regions.setupOverlapping(smfn, emfn);
  if (clash) return fail("EEXIST", "setup.overlap", `[${smfn}, ${emfn}) overlaps ${clash.type} region [${clash.smfn}, ${clash.emfn})`);
  return r.type === "mgmt" ? setupMgmt(ctx, smfn, emfn, raw.pxm) : setupData(ctx, r, smfn, emfn, raw.pxm);
}

function setupMgmt(ctx: SetupContext, smfn: number, emfn: number, pxm: number | undefined): HypercallResult<MgmtRegion> {
  for (const bad of ctx.regions.badPages) {
    if (smfn <= bad && bad < emfn) return fail("EIO", "setup.broken-page", `management range [${smfn}, ${emfn}) holds broken page ${bad}`);
  }
  const frames = new FrameTable(emfn - smfn, ctx.chunkPages, new RamFrameBacking(), FrameKind.mgmt);
  const region: MgmtRegion = { type: "mgmt", smfn, emfn, pxm, frames, usedPages: 0 };
  ctx.regions.addSetup(region);
  return ok(region);
}

function setupData(ctx: SetupContext, r: Partial<PmemSetupRequest>, smfn: number, emfn: number, pxm: number | undefined): HypercallResult<DataRegion> {
  const nrPages = emfn - smfn;
  const named = r.mgmtSmfn !== undefined || r.mgmtEmfn !== undefined;
  if (!named && ctx.placement === "pmem") {
    return fail("EINVAL", "setup.mgmt-required", "pmem_mgmt=pmem: a data region must name its management region");
  }
  let mgmt: MgmtRegion | undefined;
  let area: { smfn: number; emfn: number } | undefined;
  const layout = mgmtLayout(nrPages, ctx.chunkPages);
  if (named) {
    const { mgmtSmfn, mgmtEmfn } = r;
    if (!isIndex(mgmtSmfn, MFN_LIMIT) || !isIndex(mgmtEmfn, MFN_LIMIT + 1) || mgmtSmfn >= mgmtEmfn) {
      return fail("EINVAL", "setup.mgmt-range", `management range [${String(mgmtSmfn)}, ${String(mgmtEmfn)}) is not a non-empty MFN range`);
    }
    mgmt = ctx.regions.mgmtExactly(mgmtSmfn, mgmtEmfn);
    if (!mgmt) return fail("ENOENT", "setup.mgmt-missing", `no management region [${String(r.mgmtSmfn)}, ${String(r.mgmtEmfn)}) is set up`);
    if (mgmt.pxm !== pxm) return fail("EINVAL", "setup.mgmt-pxm", `management region is in proximity domain ${String(mgmt.pxm)}, data in ${String(pxm)}`);
    const free = mgmt.emfn - mgmt.smfn - mgmt.usedPages;
    if (layout.areaPages > free) {
      return fail("ENOSPC", "setup.mgmt-too-small", `${nrPages} data pages need ${layout.areaPages} management pages; ${free} are left in [${mgmt.smfn}, ${mgmt.emfn})`);
    }
    area = { smfn: mgmt.smfn + mgmt.usedPages, emfn: mgmt.smfn + mgmt.usedPages + layout.areaPages };
  }

  let frames: FrameTable;
  if (ctx.placement === "pmem" && area) {
    const sizeBytes = BigInt(layout.areaBytes);
    const window = ctx.media?.(mfnToSpa(area.smfn), sizeBytes);
    if (!window) return fail("ENODEV", "setup.mgmt-no-media", `no media holds management area [${area.smfn}, ${area.emfn})`);
    const backing = new PmemFrameBacking(window.media, window.offset, layout, ctx.chunkPages);
    frames = new FrameTable(nrPages, ctx.chunkPages, backing, FrameKind.free);
    try {
      backing.format(smfn, nrPages, frames.descriptors);
      markBadPages(ctx, frames, smfn, emfn);
    } catch (e) {
      if (!isMediaError(e)) throw e;
      return fail("EIO", "setup.mgmt-io", `cannot write the frame table to management area [${area.smfn}, ${area.emfn}): ${e.message}`);
    }
  } else {
    frames = new FrameTable(nrPages, ctx.chunkPages, new RamFrameBacking(), FrameKind.free);
    markBadPages(ctx, frames, smfn, emfn);
  }
  if (mgmt && area) mgmt.usedPages += area.emfn - area.smfn;
  const region: DataRegion = { type: "data", smfn, emfn, pxm, frames, mgmt, mgmtArea: area };
  ctx.regions.addSetup(region);
  return ok(region);
}

function markBadPages(ctx: SetupContext, frames: FrameTable, smfn: number, emfn: number): void {
  for (const bad of ctx.regions.badPages) if (smfn <= bad && bad < emfn) frames.markBroken(bad - smfn);
}
