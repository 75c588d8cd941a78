// The frame table as it lies in a management area when pmem_mgmt=pmem: a
// header page, one 8-byte descriptor per chunk, then one 8-byte record per
// data page. It is rebuilt at every setup and never read back at boot: these
// are not persistent data (issue 3, "Placement"), so no checksum guards them.
import { defineStruct } from "../formats/index.js";
import { PAGE_BYTES } from "./limits.js";

/** One page's record, or (state 0xff = dense) one chunk's descriptor. */
export const FrameRecord = defineStruct({
  name: "vnvdimm_frame_record",
  size: 8,
  spec: "vnvdimm hypervisor/mgmt-layout.ts; the 2016 design note's {mfn, gfn, domain_id, is_broken} without the mfn, which the position gives",
  fields: [
    { name: "state", offset: 0, kind: "u8", spec: "frame-state.ts: kind in bits 0–1, broken in bit 2; 0xff marks a dense chunk descriptor" },
    { name: "reserved", offset: 1, kind: "u8" },
    { name: "owner", offset: 2, kind: "u16", spec: "domid, below DOMID_FIRST_RESERVED" },
    { name: "gfn", offset: 4, kind: "u32", spec: "the M2P entry; for a descriptor, the gfn of the chunk's first page" },
  ],
} as const);

export const FRAME_TABLE_SIGNATURE = "VNVFRAME";
export const FRAME_TABLE_VERSION = 1;

export const FrameTableHeader = defineStruct({
  name: "vnvdimm_frame_table_header",
  size: 64,
  spec: "vnvdimm hypervisor/mgmt-layout.ts",
  fields: [
    { name: "signature", offset: 0, size: 8, kind: "ascii" },
    { name: "version", offset: 8, kind: "u32" },
    { name: "recordBytes", offset: 12, kind: "u16" },
    { name: "reserved0", offset: 14, kind: "u16" },
    { name: "chunkPages", offset: 16, kind: "u32" },
    { name: "reserved1", offset: 20, kind: "u32" },
    { name: "dataSmfn", offset: 24, kind: "u64" },
    { name: "nrPages", offset: 32, kind: "u64" },
    { name: "descriptorOffset", offset: 40, kind: "u64", spec: "bytes from the start of this area" },
    { name: "recordOffset", offset: 48, kind: "u64", spec: "bytes from the start of this area" },
    { name: "areaBytes", offset: 56, kind: "u64" },
  ],
} as const);

/** Bytes of management area per data page: one FrameRecord (page_info + M2P were 40 in Xen v1). */
export const MGMT_BYTES_PER_PAGE = FrameRecord.size;

export interface MgmtLayout {
  readonly descriptorOffset: number;
  readonly recordOffset: number;
  readonly areaBytes: number;
  readonly areaPages: number;
}

function pageAlign(n: number): number {
  return Math.ceil(n / PAGE_BYTES) * PAGE_BYTES;
}

/** Where each part of a data region's frame table lies in its management area. */
export function mgmtLayout(nrPages: number, chunkPages: number): MgmtLayout {
  const nrChunks = Math.ceil(nrPages / chunkPages);
  const descriptorOffset = PAGE_BYTES;
  const recordOffset = descriptorOffset + pageAlign(nrChunks * FrameRecord.size);
  const areaBytes = recordOffset + pageAlign(nrPages * FrameRecord.size);
  return { descriptorOffset, recordOffset, areaBytes, areaPages: areaBytes / PAGE_BYTES };
}

/** Management pages a data region of nrPages needs: the "big enough" rule of setup. */
export function mgmtPagesNeeded(nrPages: number, chunkPages: number): number {
  return mgmtLayout(nrPages, chunkPages).areaPages;
}
