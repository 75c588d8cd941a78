// `GET /api/pmem/map`: the picture of each host DIMM, from its first byte to
// the end of its label area, in MFN order: namespaces, reservation records,
// management and data areas, each domain's extents, free space, and broken
// pages. Built from what a boot finds (labels, records, the hypervisor's
// regions) and the toolstack's ledger — never from what the spec promised.
import { PAGE_BYTES } from "../hypervisor/index.js";
import { readLedger, type BootedHost, type Ledger } from "../toolstack/index.js";
import type { Command } from "./command.js";
import { SUMMARY } from "./verbs.js";
import { withHost, type StateInput } from "./host-commands.js";
import { wrap } from "./domain-commands.js";
import type { MapSegment } from "./wire/map-segment.js";

const PAGE = BigInt(PAGE_BYTES);

export type { MapSegment, SegmentKind } from "./wire/map-segment.js";

export interface MapDimm {
  index: number;
  handle: number;
  node: number;
  path: string;
  spa: bigint;
  sizeBytes: bigint;
  labelSizeBytes: bigint;
  smfn: number;
  nrPages: number;
  segments: MapSegment[];
  broken: { mfn: number; offset: number }[];
}

interface Span { start: bigint; end: bigint; seg: Omit<MapSegment, "smfn" | "nrPages" | "offset" | "bytes"> }

/** Splits [start, end) into extents and the free runs between them. */
function dataSpans(start: bigint, end: bigint, toDpa: (mfn: number) => bigint, extents: { smfn: number; nrPages: number; seg: Span["seg"] }[]): Span[] {
  const out: Span[] = [];
  let at = start;
  const mine = extents.map((e) => ({ s: toDpa(e.smfn), e: toDpa(e.smfn + e.nrPages), seg: e.seg }))
    .filter((x) => x.e > start && x.s < end).sort((a, b) => (a.s < b.s ? -1 : 1));
  for (const x of mine) {
    if (x.s > at) out.push({ start: at, end: x.s, seg: { kind: "data-free" } });
    out.push({ start: x.s > at ? x.s : at, end: x.e < end ? x.e : end, seg: x.seg });
    at = x.e;
  }
  if (at < end) out.push({ start: at, end, seg: { kind: "data-free" } });
  return out;
}

/** Every extent the ledger holds, released ones too: pages awaiting their scrub or kept by delete --keep-data are not free. */
function ledgerExtents(l: Pick<Ledger, "domains" | "released">) {
  return [
    ...l.domains.flatMap((d) => d.extents.map((e) => ({
      smfn: e.smfn, nrPages: e.nrPages,
      seg: { kind: "extent" as const, domain: d.name, vnvdimm: e.id, status: e.state === "allocating" ? "allocating" : d.status, labelPages: e.nrLabelPages },
    }))),
    ...l.released.map((r) => ({
      smfn: r.smfn, nrPages: r.nrPages,
      seg: { kind: "extent" as const, domain: `${r.from} (deleted)`, vnvdimm: r.id, status: r.keep ? "kept" : "awaiting scrub" },
    })),
  ];
}

export function pmemMap(b: BootedHost, l: Pick<Ledger, "domains" | "released">): MapDimm[] {
  const extents = ledgerExtents(l);
  return b.dimms.map(({ dimm, scan }) => {
    const h = b.host.dimms.find((x) => x.handle === dimm.handle)!;
    const toMfn = (dpa: bigint) => Number((dimm.spa + dpa - dimm.mappingDpa) / PAGE);
    const toDpa = (mfn: number) => BigInt(mfn) * PAGE - dimm.spa + dimm.mappingDpa;
    const spans: Span[] = [];
    for (const ns of scan.namespaces) {
      const nsEnd = ns.dpa + ns.sizeBytes;
      const c = ns.content;
      const about = { namespace: ns.uuid, name: ns.name };
      if (c.kind !== "reservation") {
        spans.push({ start: ns.dpa, end: nsEnd, seg: ns.labelless ? { kind: "unreserved" } : { kind: "other", ...about, content: c.kind === "info-block" ? c.mode : c.kind } });
        continue;
      }
      const rep = b.reservations.find((r) => r.handle === dimm.handle && r.namespace === ns.uuid);
      const r = c.record;
      const areas: Span[] = [];
      if (r.mgmtSize > 0n) areas.push({ start: ns.dpa + r.mgmtOffset, end: ns.dpa + r.mgmtOffset + r.mgmtSize, seg: { kind: "mgmt", ...about } });
      const dStart = ns.dpa + r.dataOffset, dEnd = dStart + r.dataSize;
      if (rep?.data) areas.push(...dataSpans(dStart, dEnd, toDpa, extents));
      else areas.push({ start: dStart, end: dEnd, seg: { kind: "reservation", ...about, status: rep?.error ? `refused: ${rep.error.message}` : "not set up" } });
      // What the areas leave of the namespace (the record's page and padding) is the reservation itself.
      let at = ns.dpa;
      for (const a of areas.sort((x, y) => (x.start < y.start ? -1 : 1))) {
        if (a.start > at) spans.push({ start: at, end: a.start, seg: { kind: "reservation", ...about } });
        spans.push(a);
        at = a.end;
      }
      if (at < nsEnd) spans.push({ start: at, end: nsEnd, seg: { kind: "reservation", ...about } });
    }
    // Space no namespace covers.
    spans.sort((x, y) => (x.start < y.start ? -1 : 1));
    const covered: Span[] = [];
    let at = dimm.mappingDpa;
    const end = dimm.mappingDpa + dimm.sizeBytes;
    for (const s of spans) {
      if (s.start > at) covered.push({ start: at, end: s.start, seg: { kind: "unreserved" } });
      covered.push(s);
      if (s.end > at) at = s.end;
    }
    if (at < end) covered.push({ start: at, end, seg: { kind: "unreserved" } });
    const segments: MapSegment[] = covered.filter((s) => s.end > s.start).map((s) => ({
      ...s.seg, smfn: toMfn(s.start), nrPages: Number((s.end - s.start) / PAGE), offset: Number(s.start), bytes: Number(s.end - s.start),
    }));
    segments.push({ kind: "label-area", smfn: null, nrPages: Number(h.labelSizeBytes / PAGE), offset: Number(h.sizeBytes), bytes: Number(h.labelSizeBytes) });
    const smfn = toMfn(dimm.mappingDpa);
    const nrPages = Number(dimm.sizeBytes / PAGE);
    const broken = b.broken.filter((m) => m >= smfn && m < smfn + nrPages).sort((x, y) => x - y).map((mfn) => ({ mfn, offset: Number(toDpa(mfn)) }));
    return { index: h.index, handle: dimm.handle, node: dimm.pxm, path: h.path, spa: dimm.spa, sizeBytes: dimm.sizeBytes, labelSizeBytes: h.labelSizeBytes, smfn, nrPages, segments, broken };
  });
}

export const pmemMapCommand: Command<StateInput, { dimms: MapDimm[] }> = {
  name: "pmem map",
  summary: SUMMARY["pmem map"],
  // A living host's ledger is in memory, kept in line with every mutation.
  run: (input) => wrap(() => withHost(input, (b) => ({ dimms: pmemMap(b, input.live?.toolstack.ledger ?? readLedger(input.state)) }), { readOnly: true })),
};
