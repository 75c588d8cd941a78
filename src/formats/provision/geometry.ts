// Per-namespace facts that follow from the mode: the label's lbasize and
// abstraction GUID, and the info-block layout Linux will compute.
import { GUIDS, guidToBytes } from "../guid.js";
import { MiB } from "../units.js";
import { pfnLayout, type PfnLayout } from "../infoblock/pfn-layout.js";
import { PFN_PAGE_BYTES } from "../infoblock/pfn.js";
import { bttLayout, type BttLayout } from "../infoblock/btt-layout.js";
import type { BttVersion } from "../infoblock/btt.js";
import { qemuDimmCookies } from "../labels/isetcookie.js";
import type { LabelVersion } from "../labels/init.js";
import type { LabelRegion } from "../labels/namespaces.js";
import type { ProvisionMode, ProvisionNamespace } from "./types.js";

/** ndctl's minimum for any mode but raw, and the default region align (nd_namespace_store; ndctl list `align`). */
export const PROVISION_MIN_BYTES = 16n * BigInt(MiB);
export const DEFAULT_REGION_ALIGN_BYTES = 16n * BigInt(MiB);
/** Linux pmem_lbasize_supported: the sector sizes a pmem namespace (and so its label) can take. */
export const PMEM_SECTOR_SIZES: readonly number[] = [512, 4096];

/** v1.2 claim class per mode (namespace_devs.c holder_class_store, label.c nsl_set_claim_class). */
const ABSTRACTION: Readonly<Record<ProvisionMode, string | undefined>> = {
  fsdax: GUIDS.abstractionPfn, devdax: GUIDS.abstractionDax, sector: GUIDS.abstractionBtt2, raw: undefined,
};

export function abstractionGuidFor(mode: ProvisionMode): Uint8Array {
  const text = ABSTRACTION[mode];
  return text === undefined ? new Uint8Array(16) : guidToBytes(text);
}

/** A BTT under v1.2 labels is claimed as BTT2 and so is version 2.0; otherwise 1.1 (btt_devs.c nd_btt_version). */
export function bttVersionFor(labels: LabelVersion): BttVersion {
  return labels === "1.2" ? "2.0" : "1.1";
}

export function defaultSectorSize(mode: ProvisionMode): number {
  return mode === "sector" ? 4096 : 512;
}

export interface NamespaceGeometry {
  lbasize: bigint;
  capacityBytes: bigint;
  dataOffsetBytes?: bigint;
  pfn?: PfnLayout;
  btt?: BttLayout;
}

/** The layout Linux will give the namespace. Throws FormatError when Linux would refuse it. */
export function namespaceGeometry(ns: ProvisionNamespace, labels: LabelVersion, spaBaseBytes: bigint): NamespaceGeometry {
  const sectorSize = ns.sectorSize ?? defaultSectorSize(ns.mode);
  // ndctl sets the namespace's sector_size (512 unless told otherwise, the btt's size in sector mode); the label records it.
  const lbasize = BigInt(sectorSize);
  if (ns.mode === "fsdax" || ns.mode === "devdax") {
    const pfn = pfnLayout({ namespaceStartBytes: spaBaseBytes + ns.dpa, namespaceSizeBytes: ns.sizeBytes, map: "dev", alignBytes: ns.align });
    return { lbasize, capacityBytes: pfn.npfns * BigInt(PFN_PAGE_BYTES), dataOffsetBytes: pfn.dataoff, pfn };
  }
  if (ns.mode === "sector") {
    const btt = bttLayout({ namespaceSizeBytes: ns.sizeBytes, sectorSize, version: bttVersionFor(labels) });
    return { lbasize, capacityBytes: btt.externalNlba * BigInt(sectorSize), btt };
  }
  return { lbasize, capacityBytes: ns.sizeBytes };
}

/** The region a QEMU NVDIMM's labels live in: one DIMM, not interleaved, PM type GUID. */
export function qemuLabelRegion(slot: number, mappingSizeBytes?: bigint): LabelRegion {
  return {
    nmappings: 1, position: 0, mappingDpa: 0n, ...(mappingSizeBytes !== undefined ? { mappingSizeBytes } : {}),
    cookies: qemuDimmCookies(slot), typeGuid: guidToBytes(GUIDS.spaPersistentMemory),
  };
}
