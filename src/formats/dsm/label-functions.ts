// _DSM label functions 4, 5 and 6 with QEMU's statuses and limits
// (hw/acpi/nvdimm.c nvdimm_dsm_label_size/get/set_data). Guest input never
// throws and never reaches outside the label area: every offset and length is
// checked in 64-bit arithmetic before any access.
import { DSM_FN, DSM_LABEL_MAX_XFER, DSM_STATUS, DSM_DIMM_LABEL_FUNCTIONS_MASK, status, u32Payload, type DsmRequest, type DsmResponse } from "./mailbox.js";

/** A DIMM's label storage as the mailbox sees it. */
export interface LabelStore {
  readonly sizeBytes: number;
  /** Read-only devices (unarmed) refuse label writes. */
  readonly readOnly?: boolean;
  read(offset: number, length: number): Uint8Array;
  write(offset: number, bytes: Uint8Array): void;
}

function dv(b: Uint8Array): DataView {
  return new DataView(b.buffer, b.byteOffset, b.byteLength);
}

/** QEMU's range check: offset + length must not overflow, must fit the area and max_xfer. */
function checkRange(store: LabelStore, offset: number, length: number): boolean {
  const end = offset + length; // both u32: the sum is exact in a double
  return end <= store.sizeBytes && length <= DSM_LABEL_MAX_XFER && end <= 0xffffffff;
}

/** Handles functions 0, 4, 5, 6 for one DIMM (revision already checked by the caller). */
export function handleLabelDsm(req: DsmRequest, store: LabelStore | undefined): DsmResponse {
  if (req.function === DSM_FN.QUERY) {
    // Function 0 answers {len, mask}: the mask takes the status word's place (QEMU nvdimm_dsm_function0).
    return { status: store && store.sizeBytes > 0 ? DSM_DIMM_LABEL_FUNCTIONS_MASK : 0, payload: new Uint8Array(0) };
  }
  if (!store || store.sizeBytes === 0) return status(DSM_STATUS.NOT_SUPPORTED);
  const a = req.arg3;
  switch (req.function) {
    case DSM_FN.GET_LABEL_SIZE:
      return { status: DSM_STATUS.SUCCESS, payload: u32Payload(store.sizeBytes, DSM_LABEL_MAX_XFER) };
    case DSM_FN.GET_LABEL_DATA: {
      if (a.length < 8) return status(DSM_STATUS.INVALID_INPUT);
      const offset = dv(a).getUint32(0, true), length = dv(a).getUint32(4, true);
      if (!checkRange(store, offset, length)) return status(DSM_STATUS.INVALID_INPUT);
      return { status: DSM_STATUS.SUCCESS, payload: store.read(offset, length) };
    }
    case DSM_FN.SET_LABEL_DATA: {
      if (a.length < 8) return status(DSM_STATUS.INVALID_INPUT);
      const offset = dv(a).getUint32(0, true), length = dv(a).getUint32(4, true);
      if (!checkRange(store, offset, length) || 8 + length > a.length) return status(DSM_STATUS.INVALID_INPUT);
      if (store.readOnly) return status(DSM_STATUS.NOT_SUPPORTED);
      store.write(offset, a.slice(8, 8 + length));
      return status(DSM_STATUS.SUCCESS);
    }
    default:
      return status(DSM_STATUS.NOT_SUPPORTED);
  }
}
