// The public face of the SSDT builders.
export {
  buildNvdimmSsdt, slotToHandle, slotToDeviceName, type NvdimmSsdtOptions,
  NVDIMM_DSM_IO_PORT, NVDIMM_DSM_PAGE_BYTES, NVDIMM_QEMU_ROOT_HANDLE, NVDIMM_MAX_SLOTS,
} from "./nvdimm-ssdt.js";
