// The hypervisor's pmem manager: boot from firmware bytes, then hypercalls.
// Xen names: pmem_get_regions and pmem_setup are XEN_SYSCTL_nvdimm_op's
// get_regions and setup; populatePmemMap is XENMEM_populate_pmem_map;
// pmemReportRaw is the "dom0 reports every range it knows" step of Andrew
// Cooper's boot order (XENPF_pmem_add in v1).
import { assert, type Reason } from "../formats/index.js";
import { isMediaError } from "../media/index.js";
import { Domain, type DomainView } from "./domain.js";
import { DEFAULT_CHUNK_PAGES } from "./frame-table.js";
import { isBroken, isOwned, type FrameInfo } from "./frame-state.js";
import { CONTROL_DOMID, DOMID_FIRST_RESERVED, MFN_LIMIT, isIndex } from "./limits.js";
import { mceInject, populate, releaseDomain, translate, unmap, unmapLabels, type MceResult, type PopulateKind } from "./memory-ops.js";
import type { P2mKind } from "./p2m.js";
import { rawRegionsFromFirmware, type RawRegion } from "./raw-regions.js";
import { PmemRegions, type MfnRun, type SetupRegion } from "./regions.js";
import { fail, ok, type HypercallResult } from "./result.js";
import { pmemSetup, type MediaResolver, type PmemMgmtPlacement, type PmemSetupRequest } from "./setup.js";

export interface BootOptions {
  /** The pmem_mgmt= boot option: where data regions' frame tables live. */
  readonly pmemMgmt: PmemMgmtPlacement;
  /**
   * P2M of new domains unless domainCreate says otherwise. Default "linear":
   * every guest access goes through a lookup, and the linear list's is two
   * typed-array reads, about 1.5–2× the tree's rate on a fragmented guest
   * (bench/hypervisor.ts). The tree populates and destroys a TiB faster
   * (both are far under 10 ms) and its directory does not follow the highest gfn.
   */
  readonly p2m?: P2mKind;
  /** Pages per frame-table chunk; tests shrink it to exercise chunk edges. */
  readonly frameChunkPages?: number;
}

export interface BootInput {
  readonly e820: Uint8Array;
  /** Empty when the machine has no NFIT. */
  readonly nfit: Uint8Array;
  readonly options: BootOptions;
  /** Finds the media behind a management area; needed only for pmem_mgmt=pmem. Boot never calls it. */
  readonly media?: MediaResolver;
}

export type RegionType = "raw" | "mgmt" | "data";

export type PmemRegionInfo =
  | { readonly type: "raw"; readonly smfn: number; readonly emfn: number; readonly pxm: number | undefined; readonly source: RawRegion["source"] }
  | { readonly type: "mgmt"; readonly smfn: number; readonly emfn: number; readonly pxm: number | undefined; readonly usedPages: number }
  | {
      readonly type: "data"; readonly smfn: number; readonly emfn: number; readonly pxm: number | undefined;
      /** The management region named at setup, and the part of it holding this region's frame table. */
      readonly mgmtSmfn: number | undefined; readonly mgmtEmfn: number | undefined;
      readonly frameTableSmfn: number | undefined; readonly frameTableEmfn: number | undefined;
      /** Where this region's frame table lives. */
      readonly placement: PmemMgmtPlacement;
      readonly freePages: number; readonly ownedPages: number; readonly brokenPages: number;
    };

export interface DomainCreateRequest {
  readonly domid?: number;
  readonly privileged?: boolean;
  readonly p2m?: P2mKind;
}

/** A media failure under a pmem-placed frame table: a machine check in hypervisor memory. Xen panics; so does this. */
export class HypervisorPanic extends Error {
  constructor(message: string, cause: unknown) {
    super(`hypervisor panic: ${message}`, { cause });
    this.name = "HypervisorPanic";
  }
}

/** Boots from firmware bytes. Notes raw regions only; reads and writes no media. */
export function bootHypervisor(input: BootInput): Hypervisor {
  const { regions, reasons } = rawRegionsFromFirmware(input.e820, input.nfit);
  return new Hypervisor(regions, reasons, input.options, input.media);
}

export function parsePmemMgmt(text: string): PmemMgmtPlacement | undefined {
  return text === "ram" || text === "pmem" ? text : undefined;
}

export class Hypervisor {
  /** Problems found in the firmware tables at boot; the bad parts were skipped. */
  readonly bootReasons: readonly Reason[];
  readonly options: Required<BootOptions>;
  private readonly regions: PmemRegions;
  private readonly domains = new Map<number, Domain>();
  private panic: HypervisorPanic | undefined;

  constructor(raw: RawRegion[], reasons: readonly Reason[], options: BootOptions, private readonly media: MediaResolver | undefined) {
    assert(options.pmemMgmt === "ram" || options.pmemMgmt === "pmem", `pmem_mgmt must be ram or pmem, not ${String(options.pmemMgmt)}`);
    const chunk = options.frameChunkPages ?? DEFAULT_CHUNK_PAGES;
    assert(Number.isSafeInteger(chunk) && chunk > 0, "frameChunkPages must be a positive integer");
    this.options = { pmemMgmt: options.pmemMgmt, p2m: options.p2m ?? "linear", frameChunkPages: chunk };
    this.bootReasons = reasons;
    this.regions = new PmemRegions(raw);
    this.domains.set(CONTROL_DOMID, new Domain(CONTROL_DOMID, true, this.options.p2m));
  }

  // ---- sysctl: regions -------------------------------------------------

  pmemGetRegions(caller: number, type: RegionType): HypercallResult<PmemRegionInfo[]> {
    return this.call(() => {
      if (!this.isPrivileged(caller)) return notPrivileged(caller, "list pmem regions");
      switch (type) {
        case "raw": return ok(this.regions.raw.map((r) => ({ type: "raw" as const, smfn: r.smfn, emfn: r.emfn, pxm: r.pxm, source: r.source })));
        case "mgmt":
        case "data": return ok(this.regions.setup.filter((r) => r.type === type).map(describeRegion));
        default: return fail("EINVAL", "regions.type", `region type must be raw, mgmt or data`);
      }
    });
  }

  /**
   * Dom0 reports a range it knows (from the NFIT, _FIT or a hotplug). Known
   * exactly: nothing to do, except that a proximity domain the firmware did
   * not give (E820 ranges) is learnt while nothing is set up in the range.
   * New and clear of every raw region: noted. Overlapping: EEXIST.
   */
  pmemReportRaw(caller: number, range: { smfn: number; emfn: number; pxm?: number }): HypercallResult<{ added: boolean }> {
    return this.call<{ added: boolean }>(() => {
      if (!this.isPrivileged(caller)) return notPrivileged(caller, "report pmem ranges");
      const { smfn, emfn, pxm } = range;
      if (!isIndex(smfn, MFN_LIMIT) || !isIndex(emfn, MFN_LIMIT + 1) || smfn >= emfn || (pxm !== undefined && !isIndex(pxm, 2 ** 32))) {
        return fail("EINVAL", "report.range", `[${String(smfn)}, ${String(emfn)}) with pxm ${String(pxm)} is not a valid range`);
      }
      const known = this.regions.rawOverlapping(smfn, emfn);
      if (known && known.smfn === smfn && known.emfn === emfn) {
        if (pxm === undefined || known.pxm === pxm) return ok({ added: false });
        if (known.pxm === undefined && !this.regions.setupOverlapping(smfn, emfn)) {
          this.regions.replaceRaw(known, { ...known, pxm });
          return ok({ added: false });
        }
      }
      if (known) return fail("EEXIST", "report.overlap", `[${smfn}, ${emfn}) overlaps raw region [${known.smfn}, ${known.emfn})`);
      this.regions.addRaw({ smfn, emfn, pxm, source: "reported" });
      return ok({ added: true });
    });
  }

  pmemSetup(caller: number, request: PmemSetupRequest): HypercallResult<PmemRegionInfo> {
    return this.call(() => {
      if (!this.isPrivileged(caller)) return notPrivileged(caller, "set up pmem regions");
      const r = pmemSetup({ regions: this.regions, placement: this.options.pmemMgmt, chunkPages: this.options.frameChunkPages, media: this.media }, request);
      return r.ok ? ok(describeRegion(r.value)) : r;
    });
  }

  // ---- domctl ------------------------------------------------------------

  domainCreate(caller: number, request: DomainCreateRequest = {}): HypercallResult<{ domid: number }> {
    return this.call(() => {
      if (!this.isPrivileged(caller)) return notPrivileged(caller, "create domains");
      const { domid, privileged, p2m } = request;
      if (p2m !== undefined && p2m !== "linear" && p2m !== "tree") return fail("EINVAL", "domain.p2m", `p2m must be linear or tree`);
      if (privileged !== undefined && typeof privileged !== "boolean") return fail("EINVAL", "domain.privileged", "privileged must be a boolean");
      let id = domid;
      if (id === undefined) {
        id = 1;
        while (this.domains.has(id)) id++;
        if (id >= DOMID_FIRST_RESERVED) return fail("ENOSPC", "domain.no-domid", "every domid is in use");
      } else if (!isIndex(id, DOMID_FIRST_RESERVED) || id === CONTROL_DOMID) {
        return fail("EINVAL", "domain.domid", `domid ${String(id)} must be in 1..${DOMID_FIRST_RESERVED - 1}`);
      } else if (this.domains.has(id)) {
        return fail("EEXIST", "domain.exists", `domain ${id} exists`);
      }
      this.domains.set(id, new Domain(id, privileged ?? false, p2m ?? this.options.p2m));
      return ok({ domid: id });
    });
  }

  /** Releases every page of the domain to free; their contents stay as they are: this is persistent memory. */
  domainDestroy(caller: number, domid: number): HypercallResult<{ dataPages: number; labelPages: number }> {
    return this.call(() => {
      if (!this.isPrivileged(caller)) return notPrivileged(caller, "destroy domains");
      if (!isIndex(domid, DOMID_FIRST_RESERVED)) return fail("EINVAL", "domain.domid", `domid ${String(domid)} is not valid`);
      if (domid === CONTROL_DOMID || domid === caller) return fail("EINVAL", "domain.self", `domain ${domid} cannot be destroyed by domain ${caller}`);
      const d = this.domains.get(domid);
      if (!d) return fail("ESRCH", "domain.missing", `no domain ${domid}`);
      const released = releaseDomain(this.regions, d);
      this.domains.delete(domid);
      return ok(released);
    });
  }

  // ---- memory ops ---------------------------------------------------------

  /** XENMEM_populate_pmem_map: free data pages [mfn, mfn + nr) become the domain's at gfns [gfn, gfn + nr). */
  populatePmemMap(caller: number, domid: number, mfn: number, gfn: number, nr: number, kind: PopulateKind = "data"): HypercallResult<{ nr: number }> {
    return this.call(() => {
      const d = this.target(caller, domid, "populate");
      return "errno" in d ? d : populate(this.regions, d, mfn, gfn, nr, kind);
    });
  }

  /**
   * Removes data mappings [gfn, gfn + nr), all of which must exist; their
   * pages go back to free. With kind "label", label pages [index, index + nr)
   * instead: a vNVDIMM hot-unplugged from a running domain.
   */
  unmap(caller: number, domid: number, gfn: number, nr: number, kind: PopulateKind = "data"): HypercallResult<{ nr: number }> {
    return this.call(() => {
      const d = this.target(caller, domid, "unmap");
      if ("errno" in d) return d;
      return kind === "label" ? unmapLabels(this.regions, d, gfn, nr) : unmap(this.regions, d, gfn, nr);
    });
  }

  /** The page becomes broken; its owner, if any, gets an event, and its P2M entry faults. */
  mceInject(caller: number, mfn: number): HypercallResult<MceResult> {
    return this.call(() => {
      if (!this.isPrivileged(caller)) return notPrivileged(caller, "inject machine checks");
      return mceInject(this.regions, this.domains, mfn);
    });
  }

  /** A guest memory access at gfn: the mfn it reaches, or the fault it takes. */
  translate(domid: number, gfn: number): HypercallResult<number> {
    // The hot path of every guest access: no closure, the same panic rules as call().
    if (this.panic) throw this.panic;
    const d = this.domains.get(domid);
    if (!d) return fail("ESRCH", "domain.missing", `no domain ${String(domid)}`);
    try {
      return translate(this.regions, d, gfn);
    } catch (e) {
      throw this.panicOn(e);
    }
  }

  // ---- inspection (debug keys, tests, the toolstack's allocator) ---------

  domain(domid: number): DomainView | undefined {
    return this.domains.get(domid);
  }

  domainIds(): number[] {
    return [...this.domains.keys()].sort((a, b) => a - b);
  }

  /** The frame-table record of a set-up page (its M2P entry is `gfn`), or undefined. */
  frame(mfn: number): (FrameInfo & { region: "mgmt" | "data" }) | undefined {
    const f = this.regions.frameAt(mfn);
    return f && { state: f.state, owner: f.owner, gfn: f.gfn, region: f.region.type };
  }

  /** Frame runs over [smfn, emfn) in set-up regions, for listings and invariant checks. */
  *frameRuns(smfn = 0, emfn = MFN_LIMIT): Generator<Omit<MfnRun, "region"> & { region: "mgmt" | "data" }> {
    for (const r of this.regions.runs(smfn, emfn)) yield { ...r, region: r.region.type };
  }

  /** RAM held by management structures: frame tables and P2Ms, typed-array bytes plus object estimates. */
  ramBytes(): { frameTables: number; p2m: number } {
    let frameTables = 0;
    for (const r of this.regions.setup) frameTables += r.frames.ramBytes();
    let p2m = 0;
    for (const d of this.domains.values()) p2m += d.p2m.ramBytes();
    return { frameTables, p2m };
  }

  get panicked(): HypervisorPanic | undefined {
    return this.panic;
  }

  private isPrivileged(caller: number): boolean {
    return this.domains.get(caller)?.privileged === true;
  }

  /**
   * The guard of the pmem memory ops. Not XSM_TARGET, under which a guest may
   * act on itself: pmem pages are host resources that the toolstack hands
   * out, so populate and unmap are control-domain only (XSM_PRIV), and a
   * guest naming itself is refused like one naming another domain.
   */
  private target(caller: number, domid: number, what: string): Domain | ReturnType<typeof fail> {
    if (!this.domains.has(caller)) return fail("EPERM", "caller.unknown", `caller ${String(caller)} is not a domain`);
    if (!this.isPrivileged(caller)) return fail("EPERM", "caller.not-privileged", `domain ${caller} may not ${what} domain ${String(domid)}: only the control domain may`);
    const d = this.domains.get(domid);
    return d ?? fail("ESRCH", "domain.missing", `no domain ${String(domid)}`);
  }

  private call<T>(fn: () => HypercallResult<T>): HypercallResult<T> {
    if (this.panic) throw this.panic;
    try {
      return fn();
    } catch (e) {
      throw this.panicOn(e);
    }
  }

  /** A media error under the frame table panics the hypervisor for good; anything else is a bug and passes through. */
  private panicOn(e: unknown): unknown {
    if (!isMediaError(e)) return e;
    this.panic = new HypervisorPanic(`management area media failed: ${e.message}`, e);
    return this.panic;
  }
}

function notPrivileged(caller: number, what: string): ReturnType<typeof fail> {
  return fail("EPERM", "caller.not-privileged", `domain ${String(caller)} may not ${what}: only the control domain may`);
}

function describeRegion(r: SetupRegion): PmemRegionInfo {
  if (r.type === "mgmt") return { type: "mgmt", smfn: r.smfn, emfn: r.emfn, pxm: r.pxm, usedPages: r.usedPages };
  let freePages = 0;
  let ownedPages = 0;
  let brokenPages = 0;
  for (const [state, n] of r.frames.census()) {
    if (isBroken(state)) brokenPages += n;
    else if (isOwned(state)) ownedPages += n;
    else freePages += n;
  }
  return {
    type: "data", smfn: r.smfn, emfn: r.emfn, pxm: r.pxm, mgmtSmfn: r.mgmt?.smfn, mgmtEmfn: r.mgmt?.emfn,
    frameTableSmfn: r.mgmtArea?.smfn, frameTableEmfn: r.mgmtArea?.emfn,
    placement: r.frames.placement, freePages, ownedPages, brokenPages,
  };
}
