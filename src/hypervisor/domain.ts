// A domain as the pmem manager sees it: its P2M, its label pages (owned, not
// mapped; QEMU reached them through a DMOP in the Xen series), its page
// counts and its event queue.
import { LinearP2m } from "./p2m-linear.js";
import { TreeP2m } from "./p2m-tree.js";
import type { P2m, P2mExtent, P2mKind } from "./p2m.js";
import { GFN_LIMIT } from "./limits.js";

/** A machine check hit one of the domain's pages (a vMCE in Xen). */
export interface MceEvent {
  readonly type: "mce";
  readonly mfn: number;
  /** The gfn, or for a label page its index in the label area. */
  readonly gfn: number;
  readonly kind: "data" | "label";
}

export type DomainEvent = MceEvent;

/** A run of label pages: label page index → mfn. */
export interface LabelExtent {
  readonly index: number;
  readonly mfn: number;
  readonly nr: number;
}

/** What other layers may see of a domain. */
export interface DomainView {
  readonly domid: number;
  readonly privileged: boolean;
  readonly p2mKind: P2mKind;
  /** Pages mapped in the P2M, broken ones included. */
  readonly dataPages: number;
  readonly labelPages: number;
  /** Events not yet taken, oldest first. */
  readonly events: readonly DomainEvent[];
  takeEvents(): DomainEvent[];
  p2mExtents(gfn?: number, nr?: number): Iterable<P2mExtent>;
  labelExtents(): readonly LabelExtent[];
}

export function createP2m(kind: P2mKind): P2m {
  return kind === "tree" ? new TreeP2m() : new LinearP2m();
}

export class Domain implements DomainView {
  readonly p2m: P2m;
  /** Label page index → mfn, in a P2M of its own: never consulted by translate, so never mapped. */
  private readonly labels: P2m;
  dataPages = 0;
  labelPages = 0;
  private readonly queue: DomainEvent[] = [];

  constructor(readonly domid: number, readonly privileged: boolean, p2mKind: P2mKind) {
    this.p2m = createP2m(p2mKind);
    this.labels = createP2m(p2mKind);
  }

  get p2mKind(): P2mKind {
    return this.p2m.kind;
  }

  get events(): readonly DomainEvent[] {
    return this.queue;
  }

  takeEvents(): DomainEvent[] {
    return this.queue.splice(0);
  }

  raise(e: DomainEvent): void {
    this.queue.push(e);
  }

  p2mExtents(gfn?: number, nr?: number): Iterable<P2mExtent> {
    return this.p2m.extents(gfn, nr);
  }

  labelExtents(): readonly LabelExtent[] {
    return [...this.labels.extents()].map((e) => ({ index: e.gfn, mfn: e.mfn, nr: e.nr }));
  }

  labelExtentsIn(index: number, nr: number): LabelExtent[] {
    return [...this.labels.extents(index, nr)].map((e) => ({ index: e.gfn, mfn: e.mfn, nr: e.nr }));
  }

  labelOverlapping(index: number, nr: number): LabelExtent | undefined {
    const e = this.labels.extents(index, nr).next();
    return e.done ? undefined : { index: e.value.gfn, mfn: e.value.mfn, nr: e.value.nr };
  }

  addLabel(index: number, mfn: number, nr: number): void {
    this.labels.map(index, mfn, nr);
    this.labelPages += nr;
  }

  /** Forgets label pages [index, index + nr) (a vNVDIMM hot-unplugged); returns their runs. */
  unmapLabels(index: number, nr: number): LabelExtent[] {
    const runs = [...this.labels.extents(index, nr)].map((e) => ({ index: e.gfn, mfn: e.mfn, nr: e.nr }));
    this.labels.unmap(index, nr);
    this.labelPages -= runs.reduce((n, r) => n + r.nr, 0);
    return runs;
  }

  /** The mfn holding label page `index`, or undefined. */
  labelMfn(index: number): number | undefined {
    const mfn = this.labels.lookup(index);
    return mfn >= 0 ? mfn : undefined;
  }

  /** Forgets every label page (the domain is being torn down). */
  dropLabels(): void {
    this.labels.unmap(0, GFN_LIMIT);
  }
}
