// What pre-provisioning a guest vNVDIMM takes and gives (DESIGN.md step 7):
// the namespaces to create, and the label-area and data writes that make a
// Linux guest find them ready.
import type { LabelVersion } from "../labels/init.js";
import type { LabelWrite } from "../labels/update.js";
import type { InfoBlockMode } from "../infoblock/detect.js";

export type ProvisionMode = InfoBlockMode;

export interface ProvisionNamespace {
  mode: ProvisionMode;
  /** The label name (ndctl -n); at most 63 printable ASCII characters. */
  name?: string;
  /** The label uuid (ndctl `raw_uuid`, or `uuid` for raw mode), raw byte order. */
  uuid?: Uint8Array;
  /** The pfn, dax or btt device uuid stored in the info block (ndctl `uuid`), raw byte order. */
  deviceUuid?: Uint8Array;
  /** DIMM physical address of the namespace; a multiple of the region align. */
  dpa: bigint;
  sizeBytes: bigint;
  /** ndctl --sector-size: 512 or 4096; sector mode defaults to 4096, the others to 512. */
  sectorSize?: number;
  /** ndctl --align, fsdax and devdax only: 4 KiB, 2 MiB (default) or 1 GiB. */
  align?: number;
  /**
   * A filesystem image for an fsdax namespace, placed where its block device
   * starts. Only its size: the plan says where it goes (`imageCopies`) and the
   * caller streams the bytes, so an image of gigabytes is never held whole.
   */
  image?: { sizeBytes: bigint };
}

export interface ProvisionInput {
  /** The vNVDIMM's label-size. */
  labelAreaBytes: number;
  /** Label version, as `ndctl init-labels [-V 1.2]` would write. */
  labels: LabelVersion;
  /** The QEMU slot of the DIMM: it fixes the serial number and so the interleave-set cookies. */
  slot: number;
  /** The current label area. A valid one is added to; otherwise it is initialised first. */
  existingLabelArea?: Uint8Array;
  namespaces: readonly ProvisionNamespace[];
  /** Size of the DIMM's data area (its region); DPAs must lie inside when given. */
  mappingSizeBytes?: bigint;
  /** Guest physical address of DPA 0 (the region start); the pfn layout and ndctl's 16 MiB check use it. */
  spaBaseBytes?: bigint;
  /** The region align ndctl enforces on sizes (Linux nd_region->align); 16 MiB by default. */
  regionAlignBytes?: bigint;
  /** Makes a uuid (16 raw bytes) for any namespace or device uuid not given. */
  newUuid?: () => Uint8Array;
}

/** A write to the DIMM's data area, in the order it must reach the media. */
export interface DataWrite {
  dpa: bigint;
  bytes: Uint8Array;
  what: string;
}

/** A range Linux zeroes; it overlaps no write, so media known to be zero can skip it. */
export interface DataZeroFill {
  dpa: bigint;
  sizeBytes: bigint;
  what: string;
}

/** Where a namespace's image goes; it overlaps no other write, and lands after them and before the labels. */
export interface ImageCopy {
  /** Index of the namespace in `ProvisionInput.namespaces`. */
  namespace: number;
  dpa: bigint;
  sizeBytes: bigint;
  what: string;
}

export interface ProvisionedNamespace {
  mode: ProvisionMode;
  name: string;
  uuid: Uint8Array;
  deviceUuid?: Uint8Array;
  dpa: bigint;
  sizeBytes: bigint;
  /** The label's lbasize. */
  lbasize: bigint;
  /** What the guest sees: the block device or dax device size (ndctl list `size`). */
  capacityBytes: bigint;
  /** fsdax/devdax: namespace offset where the data (and an image) starts. */
  dataOffsetBytes?: bigint;
}

export interface ProvisionPlan {
  labelArea: Uint8Array;
  labelWrites: LabelWrite[];
  dataWrites: DataWrite[];
  zeroFills: DataZeroFill[];
  imageCopies: ImageCopy[];
  namespaces: ProvisionedNamespace[];
}

export type ProvisionReasonCode =
  | "provision.label-area" | "provision.label-version" | "provision.label-slots" | "provision.name" | "provision.uuid"
  | "provision.size" | "provision.dpa" | "provision.extent" | "provision.overlap" | "provision.sector-size"
  | "provision.align" | "provision.layout" | "provision.image";
