// The host firmware tables built from a machine spec, as platform firmware
// would: an E820 map and an NFIT with, per DIMM, an SPA range (with its
// proximity domain), a memdev and a control region with a distinct serial,
// plus platform capabilities. The hypervisor boots from these *bytes*.
import {
  GUIDS, encodeE820, encodeNfit, guidToBytes, nfitControlRegion, nfitMemdev, nfitPlatformCapabilities, nfitSpaRange,
  EFI_MEMORY_WB_NV, SPA_FLAG_PROXIMITY_VALID, NFIT_CAP_CPU_CACHE_FLUSH, NFIT_CAP_MEM_CTRL_FLUSH, type NfitStructure,
} from "../formats/index.js";
import type { HostMemoryMap } from "./memory-map.js";

/** Intel's vendor ID and a byte-addressable energy-backed interface code, as real NVDIMM-N parts declare. */
const DCR_VENDOR = 0x8086;
const DCR_DEVICE = 0x097a;
const DCR_FORMAT_CODE = 0x301;

export const HOST_NFIT_HEADER = {
  revision: 1, oemId: "VNVDMM", oemTableId: "VNVHOST ", oemRevision: 1, aslCompilerId: "VNVD", aslCompilerRevision: 1,
} as const;

/** SPA range index for host DIMM i (1-based; 0 means "not mapped" in a memdev). */
export const hostSpaIndex = (i: number): number => i + 1;
/** Control region index for host DIMM i. */
export const hostDcrIndex = (i: number): number => 0x100 + i + 1;

export function buildHostNfit(map: HostMemoryMap): Uint8Array {
  const structures: NfitStructure[] = [];
  for (const d of map.dimms) {
    structures.push(nfitSpaRange({
      rangeIndex: hostSpaIndex(d.index), flags: SPA_FLAG_PROXIMITY_VALID, proximityDomain: d.node,
      regionTypeGuid: guidToBytes(GUIDS.spaPersistentMemory), addressRangeBase: d.spa, addressRangeLength: d.sizeBytes,
      memoryMapAttribute: EFI_MEMORY_WB_NV,
    }));
    structures.push(nfitMemdev({
      deviceHandle: d.handle, physicalId: d.index, rangeIndex: hostSpaIndex(d.index), controlRegionIndex: hostDcrIndex(d.index),
      regionSize: d.sizeBytes, interleaveWays: 1,
    }));
    structures.push(nfitControlRegion({
      regionIndex: hostDcrIndex(d.index), vendorId: DCR_VENDOR, deviceId: DCR_DEVICE, revisionId: 1,
      serialNumber: d.serial, code: DCR_FORMAT_CODE,
    }));
  }
  const caps = NFIT_CAP_CPU_CACHE_FLUSH | NFIT_CAP_MEM_CTRL_FLUSH;
  structures.push(nfitPlatformCapabilities({ highestCapability: 31 - Math.clz32(caps), capabilities: caps }));
  return encodeNfit({ header: HOST_NFIT_HEADER, structures });
}

export function buildHostE820(map: HostMemoryMap): Uint8Array {
  return encodeE820(map.e820.map((e) => ({ addr: e.addr, sizeBytes: e.sizeBytes, type: e.type })));
}
