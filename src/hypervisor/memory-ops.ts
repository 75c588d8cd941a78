// populate_pmem_map, unmap, domain teardown, machine checks and the guest
// access check. Each validates everything before it changes anything, so a
// refused call leaves no trace (Xen's populate rolled back on failure).
import { FrameKind, isBroken, isOwned, kindName, kindOf } from "./frame-state.js";
import { GFN_LIMIT, MFN_LIMIT, isIndex, isRange } from "./limits.js";
import { P2M_BROKEN, P2M_MISSING } from "./p2m.js";
import { fail, ok, type HypercallResult } from "./result.js";
import type { PmemRegions } from "./regions.js";
import { assert } from "../formats/index.js";
import type { Domain } from "./domain.js";

export type PopulateKind = "data" | "label";

export type MemoryReasonCode =
  | "populate.kind" | "populate.range" | "populate.not-data" | "populate.page-owned" | "populate.page-broken"
  | "populate.gfn-mapped" | "populate.label-mapped" | "unmap.range" | "unmap.not-mapped"
  | "mce.mfn" | "mce.not-pmem" | "translate.gfn" | "translate.unmapped" | "translate.broken" | "translate.not-owned";

export function populate(regions: PmemRegions, d: Domain, mfn: number, gfn: number, nr: number, kind: PopulateKind): HypercallResult<{ nr: number }> {
  if (kind !== "data" && kind !== "label") return fail("EINVAL", "populate.kind", `kind must be "data" or "label"`);
  if (!isRange(mfn, nr, MFN_LIMIT) || !isRange(gfn, nr, GFN_LIMIT)) {
    return fail("EINVAL", "populate.range", `mfn ${String(mfn)}, gfn ${String(gfn)}, nr ${String(nr)}: need nr > 0, mfn + nr ≤ 2^40, gfn + nr ≤ 2^32`);
  }
  const region = regions.setupContaining(mfn);
  if (region?.type !== "data" || mfn + nr > region.emfn) {
    const what = region?.type === "mgmt" ? "management pages are never mapped" : "it is not inside one data region";
    return fail("EINVAL", "populate.not-data", `cannot populate mfns [${mfn}, ${mfn + nr}): ${what}`);
  }
  const i0 = mfn - region.smfn;
  const busy = region.frames.firstNotInState(i0, i0 + nr, FrameKind.free);
  if (busy >= 0) {
    const f = region.frames.get(busy);
    const at = region.smfn + busy;
    if (isBroken(f.state)) return fail("EBUSY", "populate.page-broken", `mfn ${at} is broken`);
    return fail("EBUSY", "populate.page-owned", `mfn ${at} is ${kindName(f.state)} of domain ${f.owner}`);
  }
  if (kind === "data") {
    const mapped = d.p2m.extents(gfn, nr).next();
    if (!mapped.done) return fail("EEXIST", "populate.gfn-mapped", `gfn ${mapped.value.gfn} of domain ${d.domid} is mapped already`);
  } else {
    const l = d.labelOverlapping(gfn, nr);
    if (l) return fail("EEXIST", "populate.label-mapped", `label pages [${l.index}, ${l.index + l.nr}) of domain ${d.domid} are populated already`);
  }
  region.frames.setRange(i0, i0 + nr, kind === "data" ? FrameKind.data : FrameKind.label, d.domid, gfn);
  if (kind === "data") {
    d.p2m.map(gfn, mfn, nr);
    d.dataPages += nr;
  } else {
    d.addLabel(gfn, mfn, nr);
  }
  return ok({ nr });
}

export function unmap(regions: PmemRegions, d: Domain, gfn: number, nr: number): HypercallResult<{ nr: number }> {
  if (!isRange(gfn, nr, GFN_LIMIT)) return fail("EINVAL", "unmap.range", `gfn ${String(gfn)}, nr ${String(nr)}: need nr > 0 and gfn + nr ≤ 2^32`);
  const extents = [...d.p2m.extents(gfn, nr)];
  let covered = 0;
  for (const e of extents) covered += e.nr;
  if (covered !== nr) return fail("ENOENT", "unmap.not-mapped", `only ${covered} of gfns [${gfn}, ${gfn + nr}) are mapped in domain ${d.domid}`);
  for (const e of extents) releaseFrames(regions, e.mfn, e.nr);
  d.p2m.unmap(gfn, nr);
  d.dataPages -= nr;
  return ok({ nr });
}

/** Removes label pages [index, index + nr) of a vNVDIMM that leaves a running domain; all must be populated. */
export function unmapLabels(regions: PmemRegions, d: Domain, index: number, nr: number): HypercallResult<{ nr: number }> {
  if (!isRange(index, nr, GFN_LIMIT)) return fail("EINVAL", "unmap.range", `label index ${String(index)}, nr ${String(nr)}: need nr > 0 and index + nr ≤ 2^32`);
  let covered = 0;
  for (const e of d.labelExtentsIn(index, nr)) covered += e.nr;
  if (covered !== nr) return fail("ENOENT", "unmap.not-mapped", `only ${covered} of label pages [${index}, ${index + nr}) are populated in domain ${d.domid}`);
  for (const r of d.unmapLabels(index, nr)) releaseFrames(regions, r.mfn, r.nr);
  return ok({ nr });
}

/** Returns every page of a dying domain to free (broken ones stay broken). Contents are never touched. */
export function releaseDomain(regions: PmemRegions, d: Domain): { dataPages: number; labelPages: number } {
  const out = { dataPages: d.dataPages, labelPages: d.labelPages };
  for (const e of [...d.p2m.extents()]) releaseFrames(regions, e.mfn, e.nr);
  for (const l of d.labelExtents()) releaseFrames(regions, l.mfn, l.nr);
  d.p2m.unmap(0, GFN_LIMIT);
  d.dropLabels();
  d.dataPages = 0;
  d.labelPages = 0;
  return out;
}

/** An extent may span adjacent data regions (they merge in the P2M), so release region by region. */
function releaseFrames(regions: PmemRegions, mfn: number, nr: number): void {
  for (let at = mfn; at < mfn + nr;) {
    const region = regions.setupContaining(at);
    assert(region?.type === "data", `mfn ${at} of a domain's extent is not in a data region`);
    const end = Math.min(mfn + nr, region.emfn);
    region.frames.releaseRange(at - region.smfn, end - region.smfn);
    at = end;
  }
}

export interface MceResult {
  readonly mfn: number;
  /** The page was broken already: nothing changed and no event was raised. */
  readonly alreadyBroken: boolean;
  /** The domain that owned the page and was told. */
  readonly owner: number | undefined;
  /** "raw" when no setup covers the page yet: it is remembered and starts broken when set up. */
  readonly region: "data" | "mgmt" | "raw";
}

export function mceInject(regions: PmemRegions, domains: ReadonlyMap<number, Domain>, mfn: number): HypercallResult<MceResult> {
  if (!isIndex(mfn, MFN_LIMIT)) return fail("EINVAL", "mce.mfn", `mfn ${String(mfn)} is not below 2^40`);
  const region = regions.setupContaining(mfn);
  if (!region) {
    if (!regions.rawContaining(mfn, mfn + 1)) return fail("EINVAL", "mce.not-pmem", `mfn ${mfn} is not persistent memory`);
    const already = regions.badPages.has(mfn);
    regions.badPages.add(mfn);
    return ok({ mfn, alreadyBroken: already, owner: undefined, region: "raw" });
  }
  const before = region.frames.get(mfn - region.smfn);
  if (!region.frames.markBroken(mfn - region.smfn)) return ok({ mfn, alreadyBroken: true, owner: undefined, region: region.type });
  if (!isOwned(before.state)) return ok({ mfn, alreadyBroken: false, owner: undefined, region: region.type });
  const owner = domains.get(before.owner)!;
  const kind = kindOf(before.state) === FrameKind.data ? "data" : "label";
  if (kind === "data") owner.p2m.markBroken(before.gfn);
  owner.raise({ type: "mce", mfn, gfn: before.gfn, kind });
  return ok({ mfn, alreadyBroken: false, owner: owner.domid, region: region.type });
}

/**
 * A guest memory access: gfn → mfn through the domain's P2M, then the frame
 * checked as Xen's get_page_from_gfn checks it (owned by this domain, a
 * mapped data page, not broken). The second check is defence in depth: it
 * cannot fail unless the P2M and the frame table disagree.
 */
export function translate(regions: PmemRegions, d: Domain, gfn: number): HypercallResult<number> {
  if (!isIndex(gfn, GFN_LIMIT)) return fail("EINVAL", "translate.gfn", `gfn ${String(gfn)} is not below 2^32`);
  const mfn = d.p2m.lookup(gfn);
  if (mfn === P2M_MISSING) return fail("EFAULT", "translate.unmapped", `gfn ${gfn} is not mapped in domain ${d.domid}`);
  if (mfn === P2M_BROKEN) return fail("EIO", "translate.broken", `gfn ${gfn} of domain ${d.domid} maps a broken page`);
  const region = regions.setupContaining(mfn);
  if (region?.type !== "data" || !region.frames.is(mfn - region.smfn, FrameKind.data, d.domid, gfn)) {
    return fail("EFAULT", "translate.not-owned", `gfn ${gfn} → mfn ${mfn} is not a page domain ${d.domid} owns`);
  }
  return ok(mfn);
}
