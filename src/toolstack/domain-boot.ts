// Bringing domains back at a host boot: every domain the ledger lists as
// running is created again and its held extents are populated at the same
// guest frames. The hypervisor's state is rebuilt from the ledger each time;
// the ledger and the media are the truth.
import { CONTROL_DOMID, PAGE_BYTES, type HypercallError } from "../hypervisor/index.js";
import { planGuestLayout, type GuestLayout } from "../devicemodel/index.js";
import type { BootedHost } from "./host-boot.js";
import type { LedgerDomain, LedgerExtent } from "./ledger.js";

const PAGE = BigInt(PAGE_BYTES);
/** Memory slots kept free for `vnvdimm attach`. */
export const HOTPLUG_SLOTS = 2;
/** Guest-physical room kept for hotplugged windows (QEMU's maxmem headroom). */
export const HOTPLUG_RESERVE_BYTES = 64n << 30n;
/** Label pages are owned but not mapped; each vNVDIMM's go in their own index space (slot << 20). */
export const labelIndexBase = (slot: number): number => slot * (1 << 20);

export interface RunningDomain {
  name: string;
  domid: number;
  layout: GuestLayout;
  extents: LedgerExtent[];
}

export function guestLayoutFor(d: Pick<LedgerDomain, "memoryMiB" | "extents">): GuestLayout {
  const held = d.extents.filter((e) => e.state === "held");
  return planGuestLayout({
    ramBytes: BigInt(d.memoryMiB) << 20n,
    // Free memory slots for hotplug, as `-m slots=` leaves them in QEMU.
    slots: Math.max(4, held.reduce((m, e) => Math.max(m, e.slot + 1), 0) + HOTPLUG_SLOTS),
    hotplugReserveBytes: HOTPLUG_RESERVE_BYTES,
    vnvdimms: d.extents.filter((e) => e.state === "held").map((e) => ({
      slot: e.slot, extentBytes: BigInt(e.nrPages) * PAGE, labelBytes: BigInt(e.nrLabelPages) * PAGE, node: e.node, unarmed: e.unarmed,
    })),
  });
}

export class DomainBootError extends Error {
  constructor(readonly domain: string, readonly failure: HypercallError) {
    super(`Cannot start domain ${domain}: ${failure.errno} (${failure.reason}): ${failure.message}`);
    this.name = "DomainBootError";
  }
}

/** Creates the domain in the hypervisor with its recorded domid and maps its extents; rolls back on failure. */
export function startDomain(b: BootedHost, d: LedgerDomain): RunningDomain {
  const created = b.hv.domainCreate(CONTROL_DOMID, { domid: d.domid });
  if (!created.ok) throw new DomainBootError(d.name, created);
  const domid = created.value.domid;
  const layout = guestLayoutFor(d);
  for (const e of d.extents.filter((x) => x.state === "held")) {
    const w = layout.windows.find((x) => x.slot === e.slot);
    const err: HypercallError | undefined = w ? populateExtent(b, domid, w.gpa, e) : { ok: false, errno: "EINVAL", reason: "layout.slot", message: `no guest window for slot ${e.slot}` };
    if (err) {
      b.hv.domainDestroy(CONTROL_DOMID, domid);
      throw new DomainBootError(d.name, err);
    }
  }
  return { name: d.name, domid, layout, extents: d.extents };
}

/** Maps one extent into a domain: data pages at the window's guest frames (`gpa`), label pages in their own index space. */
export function populateExtent(b: BootedHost, domid: number, gpa: bigint, e: LedgerExtent): HypercallError | undefined {
  const dataPages = e.nrPages - e.nrLabelPages;
  // Broken pages stay out of the P2M: the guest faults on them and learns of them through ARS.
  const broken = b.broken.filter((m) => m >= e.smfn && m < e.smfn + dataPages).sort((x, y) => x - y);
  let at = 0;
  for (const stop of [...broken.map((m) => m - e.smfn), dataPages]) {
    if (stop > at) {
      const data = b.hv.populatePmemMap(CONTROL_DOMID, domid, e.smfn + at, Number(gpa / PAGE) + at, stop - at, "data");
      if (!data.ok) return data;
    }
    at = stop + 1;
  }
  if (e.nrLabelPages > 0) {
    const label = b.hv.populatePmemMap(CONTROL_DOMID, domid, e.smfn + dataPages, labelIndexBase(e.slot), e.nrLabelPages, "label");
    if (!label.ok) return label;
  }
  return undefined;
}

/**
 * The reverse of populateExtent: the extent's data and label pages leave the
 * domain. What is mapped now is unmapped, not what populate mapped: a page
 * that took an MCE since stays in the P2M (marked broken) until it goes.
 */
export function unpopulateExtent(b: BootedHost, domid: number, gpa: bigint, e: LedgerExtent): HypercallError | undefined {
  const gfn = Number(gpa / PAGE);
  const mapped = [...(b.hv.domain(domid)?.p2mExtents(gfn, e.nrPages - e.nrLabelPages) ?? [])];
  for (const run of mapped) {
    const r = b.hv.unmap(CONTROL_DOMID, domid, run.gfn, run.nr);
    if (!r.ok) return r;
  }
  if (e.nrLabelPages > 0) {
    const r = b.hv.unmap(CONTROL_DOMID, domid, labelIndexBase(e.slot), e.nrLabelPages, "label");
    if (!r.ok) return r;
  }
  return undefined;
}
