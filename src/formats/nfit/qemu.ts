// The NFIT that QEMU's hw/acpi/nvdimm.c builds, per FORMATS.md §2 "What QEMU
// emits". The derived IDs are small functions so that the device model, the
// SSDT (_ADR) and the _DSM handler all agree on them.
import { GUIDS, guidToBytes } from "../guid.js";
// The SSDT's _ADR and the NFIT device handle must agree, so there is one slotToHandle.
import { slotToHandle } from "../ssdt/index.js";
import { EFI_MEMORY_WB_NV, SPA_FLAG_ADD_ONLINE_ONLY, SPA_FLAG_PROXIMITY_VALID, nfitSpaRange } from "./spa-range.js";
import { MEMDEV_FLAG_NOT_ARMED, nfitMemdev } from "./memdev.js";
import { nfitControlRegion } from "./control-region.js";
import { NFIT_CAP_CPU_CACHE_FLUSH, NFIT_CAP_MEM_CTRL_FLUSH, nfitPlatformCapabilities } from "./platform-capabilities.js";
import type { NfitStructure } from "./structures.js";
import type { NfitHeaderInit } from "./nfit.js";

/** SPA range index of a slot: even numbers from 2. */
export function slotToSpaRangeIndex(slot: number): number {
  return (slot + 1) << 1;
}

/** Control region index of a slot: the odd number after its SPA range index. */
export function slotToControlRegionIndex(slot: number): number {
  return slotToSpaRangeIndex(slot) + 1;
}

/** Serial number QEMU gives a slot; Linux names the DIMM 8680-56341200 for slot 0. */
export function slotToSerialNumber(slot: number): number {
  return 0x123456 + slot;
}

export const QEMU_DCR_VENDOR_ID = 0x8086;
export const QEMU_DCR_DEVICE_ID = 1;
export const QEMU_DCR_REVISION_ID = 1;
/** Byte-addressable energy-backed interface (JEDEC), as QEMU declares. */
export const QEMU_DCR_FORMAT_CODE = 0x301;

/** The NFIT header fields QEMU writes. */
export const QEMU_NFIT_HEADER: NfitHeaderInit = {
  revision: 1, oemId: "BOCHS ", oemTableId: "BXPC    ", oemRevision: 1, aslCompilerId: "BXPC", aslCompilerRevision: 1,
};

export interface QemuNvdimm {
  slot: number;
  /** Guest physical address of the pmem range. */
  addr: bigint;
  /** The pmem range: backend size minus the label area, aligned down. */
  sizeBytes: bigint;
  /** NUMA node, written as the SPA proximity domain. */
  node: number;
  /** `-device nvdimm,unarmed=on`. */
  unarmed?: boolean;
}

export type QemuNvdimmPersistence = "cpu" | "mem-ctrl";

/**
 * SPA range, memdev and control region for each DIMM, in the order given
 * (QEMU uses QOM child order), then platform capabilities when
 * `-machine nvdimm-persistence=` is set.
 */
export function qemuNfitStructures(dimms: readonly QemuNvdimm[], capabilities?: QemuNvdimmPersistence): NfitStructure[] {
  const out: NfitStructure[] = [];
  for (const d of dimms) {
    const rangeIndex = slotToSpaRangeIndex(d.slot);
    const controlRegionIndex = slotToControlRegionIndex(d.slot);
    out.push(nfitSpaRange({
      rangeIndex,
      flags: SPA_FLAG_ADD_ONLINE_ONLY | SPA_FLAG_PROXIMITY_VALID,
      proximityDomain: d.node,
      regionTypeGuid: guidToBytes(GUIDS.spaPersistentMemory),
      addressRangeBase: d.addr,
      addressRangeLength: d.sizeBytes,
      memoryMapAttribute: EFI_MEMORY_WB_NV,
    }));
    out.push(nfitMemdev({
      deviceHandle: slotToHandle(d.slot),
      rangeIndex,
      controlRegionIndex,
      regionSize: d.sizeBytes,
      interleaveWays: 1,
      flags: d.unarmed ? MEMDEV_FLAG_NOT_ARMED : 0,
    }));
    out.push(nfitControlRegion({
      regionIndex: controlRegionIndex,
      vendorId: QEMU_DCR_VENDOR_ID,
      deviceId: QEMU_DCR_DEVICE_ID,
      revisionId: QEMU_DCR_REVISION_ID,
      serialNumber: slotToSerialNumber(d.slot),
      code: QEMU_DCR_FORMAT_CODE,
    }));
  }
  if (capabilities !== undefined) {
    const bits = capabilities === "cpu" ? NFIT_CAP_CPU_CACHE_FLUSH | NFIT_CAP_MEM_CTRL_FLUSH : NFIT_CAP_MEM_CTRL_FLUSH;
    // QEMU: highest = 31 - clz32(capabilities), which is 1 for both settings.
    out.push(nfitPlatformCapabilities({ highestCapability: 31 - Math.clz32(bits), capabilities: bits }));
  }
  return out;
}
