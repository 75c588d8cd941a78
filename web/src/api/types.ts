// The shapes the daemon's API returns (docs/api.md). u64 values arrive as JSON
// numbers; MFNs and file offsets stay below 2^53, so they are exact here.

export type SegmentKind = "label-area" | "reservation" | "mgmt" | "data-free" | "extent" | "unreserved" | "other";

export interface MapSegment {
  kind: SegmentKind;
  /** Null for the DIMM's label area, which lies past its SPA range (as in a QEMU backing file). */
  smfn: number | null;
  nrPages: number;
  /** Byte offset of the segment's first byte in the DIMM's backing file (= DPA). */
  offset: number;
  bytes: number;
  /** extent: owner, vNVDIMM id, the domain's status (or "allocating"), guest label pages at its tail. */
  domain?: string;
  vnvdimm?: string;
  status?: string;
  labelPages?: number;
  /** other / reservation: the namespace it lies in, and what it holds. */
  namespace?: string | null;
  name?: string;
  content?: string;
}

export interface BrokenPage {
  mfn: number;
  offset: number;
}

export interface MapDimm {
  index: number;
  handle: number;
  node: number;
  path: string;
  spa: number;
  sizeBytes: number;
  labelSizeBytes: number;
  smfn: number;
  nrPages: number;
  segments: MapSegment[];
  broken: BrokenPage[];
}

export interface PmemMap {
  dimms: MapDimm[];
}

export interface Vnvdimm {
  id: string;
  slot: number;
  smfn: number;
  nrPages: number;
  nrLabelPages: number;
  node: number;
  state: string;
  gpa: number | null;
  sizeBytes: number;
}

export interface Domain {
  name: string;
  domid: number | null;
  status: "running" | "stopped";
  backend: string;
  memoryMiB: number;
  vnvdimms: Vnvdimm[];
  error?: string;
}

export interface OrphanExtent {
  id: string;
  smfn: number;
  nrPages: number;
  node: number;
}

export interface DomainList {
  domains: Domain[];
  orphans: { domain: string; extents: OrphanExtent[] }[];
}

export interface GuestNamespace {
  uuid: string | null;
  name: string;
  size: number;
  mode: string;
  dimm: number;
  readOnly: boolean;
}

export interface HostStatus {
  state: string;
  spec: string;
  pmemMgmt: string;
  dimms: { index: number; node: number; sizeBytes: number; path: string }[];
  bootProblems: unknown[];
}

export interface ProgressEvent {
  op: string;
  label: string;
  done: number;
  total: number;
}

export interface ChangeEvent {
  kind: string;
  domain?: string;
}
