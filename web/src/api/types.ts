// The shapes the daemon's API returns (docs/api.md). u64 values arrive as JSON
// numbers; MFNs and file offsets stay below 2^53, so they are exact here.

import type { MapSegment } from "../../../src/api/wire/map-segment.js";
export type { MapSegment, SegmentKind } from "../../../src/api/wire/map-segment.js";

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
  /** interrupted: a create a crash cut short, never started; reclaim removes it. crashed: its QEMU died without a destroy; Start runs it again. */
  status: "running" | "stopped" | "interrupted" | "crashed";
  backend: string;
  memoryMiB: number;
  vnvdimms: Vnvdimm[];
  error?: string;
  /** What reclaim will do with its unfinished extents. */
  reclaim?: string;
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
  /** Reservations the host knew and no longer finds (older servers do not send it). */
  lost?: { uuid: string; handle: number; namespace: string | null; found: string }[];
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

/** An Address Range Scrub in the guest (GET /api/domains/{name}/ars). */
export interface GuestArs {
  /** The broken ranges a scrub finds now: guest-physical, by NFIT handle (DIMM slot + 1). */
  records: { handle: number; address: number; length: number }[];
  /** The notifications the running guest's driver handled, oldest first. */
  events: { at: string; kind: string; records: number }[];
}

/** POST /api/host/mce */
export interface MceResult {
  mfn: number;
  owner: number | null;
  domain: string | null;
  region: string;
  alreadyBroken: boolean;
  /** The owner's running guest was notified and ran ARS, or (qemu) marked the page in its badblocks. */
  guestTold: boolean;
  /** What a qemu owner's on_mce did: QEMU cannot take the page from its guest. */
  onMce?: { policy: "stop" | "tell"; action: "stopped" | "told"; marked: string[]; why?: string };
  /** No running domain owned it, but this stopped domain (or kept extent) holds it. */
  heldBy?: string;
}

/** POST /api/domains/{name}/vnvdimms */
export interface AttachResult {
  name: string;
  extent: { id: string; slot: number; smfn: number; nrPages: number; node: number };
  /** The running builtin guest was hotplugged (it re-read its FIT). */
  hotplugged: boolean;
}
