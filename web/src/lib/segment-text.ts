// What the picture says about a segment, in words: the title and the exact
// ranges shown on hover and focus, and the accessible name of the segment.
import type { BrokenPage, MapDimm, MapSegment, SegmentKind } from "../api/types";
import { bytesExact, hex, hexRange, PAGE_BYTES, pages } from "./format";

export const KIND_NAMES: Record<SegmentKind, string> = {
  "label-area": "Label area",
  reservation: "Reservation record",
  mgmt: "Management area",
  "data-free": "Free data pages",
  extent: "Domain extent",
  unreserved: "Not reserved",
  other: "Other",
};

export const KIND_EXPLANATIONS: Record<SegmentKind, string> = {
  "label-area": "The DIMM's namespace labels, read through the _DSM mailbox",
  reservation: "The on-media record that hands this namespace to the hypervisor",
  mgmt: "Frame table and M2P for the data area (pmem_mgmt=pmem); never mapped into a guest",
  "data-free": "Data pages the hypervisor can give to a domain",
  extent: "Host pages held for a domain's vNVDIMM",
  unreserved: "Space no reservation covers; the hypervisor does not use it",
  other: "Space the hypervisor does not manage",
};

export function kindName(kind: string): string {
  return (KIND_NAMES as Record<string, string>)[kind] ?? kind;
}

export function segmentTitle(s: MapSegment): string {
  if (s.kind === "extent" && s.domain) return `${s.domain}${s.vnvdimm ? ` · ${s.vnvdimm}` : ""}`;
  if (s.kind === "other" && s.name) return `Namespace ${s.name}`;
  return kindName(s.kind);
}

export interface DetailLine {
  label: string;
  value: string;
}

export function containsMfn(s: MapSegment, mfn: number): boolean {
  return s.smfn !== null && mfn >= s.smfn && mfn < s.smfn + s.nrPages;
}

export function brokenIn(s: MapSegment, broken: readonly BrokenPage[]): BrokenPage[] {
  return broken.filter((b) => containsMfn(s, b.mfn));
}

export function segmentDetails(d: MapDimm, s: MapSegment): DetailLine[] {
  const lines: DetailLine[] = [];
  lines.push({ label: "MFN", value: s.smfn === null ? `none: past the SPA range (${pages(s.nrPages)})` : `${hexRange(s.smfn, s.nrPages)} (${pages(s.nrPages)})` });
  lines.push({ label: "File offset", value: `${hexRange(s.offset, s.bytes)} (${bytesExact(s.bytes)})` });
  if (s.domain) lines.push({ label: "Owner", value: `${s.domain}${s.vnvdimm ? ` / ${s.vnvdimm}` : ""}${s.status ? ` (${s.status})` : ""}` });
  else if (s.status) lines.push({ label: "State", value: s.status });
  if (s.labelPages) lines.push({ label: "Guest labels", value: `last ${pages(s.labelPages)}` });
  if (s.kind !== "extent" && s.name !== undefined) lines.push({ label: "Namespace", value: `${s.name || "(no name)"}${s.content ? ` (${s.content})` : ""}` });
  const b = brokenIn(s, d.broken);
  if (b.length) lines.push({ label: "Broken", value: b.length <= 3 ? b.map((x) => hex(x.mfn)).join(", ") : `${b.length} pages, first ${hex(b[0]!.mfn)}` });
  return lines;
}

export function brokenDetails(b: BrokenPage, owner: MapSegment | undefined): DetailLine[] {
  const lines: DetailLine[] = [
    { label: "MFN", value: hex(b.mfn) },
    { label: "File offset", value: hexRange(b.offset, PAGE_BYTES) },
  ];
  if (owner?.domain) lines.push({ label: "Owner", value: `${owner.domain}${owner.vnvdimm ? ` / ${owner.vnvdimm}` : ""}` });
  else if (owner) lines.push({ label: "In", value: kindName(owner.kind) });
  return lines;
}

/** The accessible name: everything the tooltip shows, in one sentence. */
export function spokenLabel(title: string, lines: readonly DetailLine[]): string {
  return `${title}. ${lines.map((l) => `${l.label} ${l.value}`).join(". ")}`;
}
