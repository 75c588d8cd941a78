// The hypervisor's pmem regions: raw ones noted at boot or reported by dom0,
// and the management and data regions pmem_setup made of them.
import type { FrameTable } from "./frame-table.js";
import type { FrameInfo, FrameRun } from "./frame-state.js";
import type { RawRegion } from "./raw-regions.js";

export interface MgmtRegion {
  readonly type: "mgmt";
  readonly smfn: number;
  readonly emfn: number;
  readonly pxm: number | undefined;
  readonly frames: FrameTable;
  /** Pages handed to data regions' frame tables, from smfn up. */
  usedPages: number;
}

export interface DataRegion {
  readonly type: "data";
  readonly smfn: number;
  readonly emfn: number;
  readonly pxm: number | undefined;
  readonly frames: FrameTable;
  readonly mgmt: MgmtRegion | undefined;
  /** The part of the management region this region's frame table was given, [smfn, emfn). */
  readonly mgmtArea: { readonly smfn: number; readonly emfn: number } | undefined;
}

export type SetupRegion = MgmtRegion | DataRegion;

/** A frame run with absolute MFNs and its region. */
export interface MfnRun extends FrameRun {
  readonly mfn: number;
  readonly region: SetupRegion;
}

export class PmemRegions {
  readonly raw: RawRegion[];
  /** Set-up regions, sorted by smfn, never overlapping. */
  readonly setup: SetupRegion[] = [];
  /** Pages an MCE hit before any setup covered them; a later setup starts them broken. */
  readonly badPages = new Set<number>();

  constructor(raw: RawRegion[]) {
    this.raw = [...raw].sort((a, b) => a.smfn - b.smfn);
  }

  rawContaining(smfn: number, emfn: number): RawRegion | undefined {
    return this.raw.find((r) => r.smfn <= smfn && emfn <= r.emfn);
  }

  rawOverlapping(smfn: number, emfn: number): RawRegion | undefined {
    return this.raw.find((r) => r.smfn < emfn && smfn < r.emfn);
  }

  replaceRaw(old: RawRegion, next: RawRegion): void {
    this.raw[this.raw.indexOf(old)] = next;
  }

  addRaw(r: RawRegion): void {
    this.raw.push(r);
    this.raw.sort((a, b) => a.smfn - b.smfn);
  }

  setupOverlapping(smfn: number, emfn: number): SetupRegion | undefined {
    return this.setup.find((r) => r.smfn < emfn && smfn < r.emfn);
  }

  setupContaining(mfn: number): SetupRegion | undefined {
    let lo = 0;
    let hi = this.setup.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      const r = this.setup[mid]!;
      if (mfn < r.smfn) hi = mid;
      else if (mfn >= r.emfn) lo = mid + 1;
      else return r;
    }
    return undefined;
  }

  mgmtExactly(smfn: number, emfn: number): MgmtRegion | undefined {
    return this.setup.find((r): r is MgmtRegion => r.type === "mgmt" && r.smfn === smfn && r.emfn === emfn);
  }

  addSetup(r: SetupRegion): void {
    this.setup.push(r);
    this.setup.sort((a, b) => a.smfn - b.smfn);
  }

  frameAt(mfn: number): (FrameInfo & { region: SetupRegion }) | undefined {
    const region = this.setupContaining(mfn);
    return region && { ...region.frames.get(mfn - region.smfn), region };
  }

  /** Frame runs over [smfn, emfn) in every set-up region it touches; pages outside any are skipped. */
  *runs(smfn: number, emfn: number): Generator<MfnRun> {
    for (const region of this.setup) {
      if (region.emfn <= smfn || emfn <= region.smfn) continue;
      const i0 = Math.max(smfn, region.smfn) - region.smfn;
      const i1 = Math.min(emfn, region.emfn) - region.smfn;
      for (const run of region.frames.runs(i0, i1)) yield { ...run, mfn: region.smfn + run.start, region };
    }
  }
}
