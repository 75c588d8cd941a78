// One segment of the pmem picture (`GET /api/pmem/map`), as it goes over the
// wire. It imports nothing, so the dashboard (web/) shares this declaration
// with the server without pulling in Node or the backend.

export type SegmentKind = "label-area" | "reservation" | "mgmt" | "data-free" | "extent" | "unreserved" | "other";

export interface MapSegment {
  kind: SegmentKind;
  /** First MFN; null for the label area, which lies past the DIMM's SPA range (as in a QEMU backing file). */
  smfn: number | null;
  nrPages: number;
  /** Byte offset in the DIMM's backing file (= DPA). */
  offset: number;
  bytes: number;
  /** extent: owning domain, vNVDIMM id, the domain's status (or "allocating"), and the label pages at its tail. */
  domain?: string;
  vnvdimm?: string;
  status?: string;
  labelPages?: number;
  /** other / reservation: the namespace it lies in. */
  namespace?: string | null;
  name?: string;
  content?: string;
}
