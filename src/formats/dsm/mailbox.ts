// The NVDIMM _DSM mailbox between a guest (or dom0) and the device model, as
// QEMU defines it (docs/specs/acpi_nvdimm.rst; FORMATS.md §3): one 4 KiB page
// in, one out. These are pure codecs and the label-function logic; the device
// model and the emulated host each put a transport around them.
import { defineStruct } from "../struct.js";

export const DSM_PAGE_BYTES = 4096;
export const DSM_ROOT_HANDLE = 0;
/** QEMU's reserved root handle for its own functions (Read FIT). */
export const DSM_QEMU_ROOT_HANDLE = 0x10000;
export const DSM_REVISION = 1;

export const DSM_STATUS = {
  SUCCESS: 0,
  NOT_SUPPORTED: 1,
  NO_SUCH_DEVICE: 2,
  INVALID_INPUT: 3,
  FIT_CHANGED: 0x100,
} as const;

export const DSM_FN = {
  QUERY: 0,
  /** Root 0x10000 function 1. */
  READ_FIT: 1,
  GET_LABEL_SIZE: 4,
  GET_LABEL_DATA: 5,
  SET_LABEL_DATA: 6,
} as const;

export const DsmInput = defineStruct({
  name: "nvdimm_dsm_in",
  size: DSM_PAGE_BYTES,
  spec: "QEMU docs/specs/acpi_nvdimm.rst, NvdimmDsmIn",
  fields: [
    { name: "handle", offset: 0, kind: "u32" },
    { name: "revision", offset: 4, kind: "u32" },
    { name: "function", offset: 8, kind: "u32" },
    { name: "arg3", offset: 12, size: 4084, kind: "bytes" },
  ],
} as const);

/** Output page: u32 length (including itself), then status and payload. */
export const DSM_OUT_HEADER_BYTES = 4;
export const DSM_MAX_OUTPUT_BYTES = DSM_PAGE_BYTES - DSM_OUT_HEADER_BYTES;

/** QEMU's max transfer for label data: the page minus the length and status words and the 8-byte input header (4096 − 4 − 4 − 12). */
export const DSM_LABEL_MAX_XFER = 4076;

/** The function mask a DIMM answers to function 0 with: 0, 4, 5, 6 when it has a label area. */
export const DSM_DIMM_LABEL_FUNCTIONS_MASK = (1 << 0) | (1 << 4) | (1 << 5) | (1 << 6);

export interface DsmRequest {
  handle: number;
  revision: number;
  function: number;
  arg3: Uint8Array;
}

export interface DsmResponse {
  status: number;
  payload: Uint8Array;
}

/** Encodes the output page body: `{u32 len, u32 status, payload}`; len counts itself. */
export function encodeDsmOutput(r: DsmResponse): Uint8Array {
  const len = DSM_OUT_HEADER_BYTES + 4 + r.payload.length;
  const out = new Uint8Array(len);
  const dv = new DataView(out.buffer);
  dv.setUint32(0, len, true);
  dv.setUint32(4, r.status, true);
  out.set(r.payload, 8);
  return out;
}

export function u32Payload(...values: number[]): Uint8Array {
  const b = new Uint8Array(values.length * 4);
  const dv = new DataView(b.buffer);
  values.forEach((v, i) => dv.setUint32(i * 4, v >>> 0, true));
  return b;
}

export function status(code: number): DsmResponse {
  return { status: code, payload: new Uint8Array(0) };
}
