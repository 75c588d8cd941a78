// A domain config after validation: every default filled in and every size
// resolved to bytes and 4 KiB pages.

export const PAGE_BYTES = 4096n;

export type Backend = "builtin" | "qemu";

/**
 * What happens to a running domain whose backend cannot take a broken page
 * away from its guest (QEMU maps the whole extent; its NVDIMM has no ARS):
 * "stop" stops the domain at once; "tell" keeps it running if its guest can
 * be told now (the page's sectors in its namespaces' badblocks), else stops
 * it. Either way the guest finds the page in its badblocks at every boot.
 */
export const ON_MCE = ["stop", "tell"] as const;
export type OnMce = (typeof ON_MCE)[number];
export const DEFAULT_ON_MCE: OnMce = "stop";
export type LabelVersion = "v1.1" | "v1.2";
export type NamespaceMode = "fsdax" | "devdax" | "sector" | "raw";

interface NamespaceBase {
  /** The label's name: 1–63 printable ASCII characters. */
  name?: string;
  labels: LabelVersion;
}

/** A namespace the toolstack writes before first boot (`namespace=MODE[:NAME]`). */
export type NamespaceRequest =
  | (NamespaceBase & { mode: "fsdax"; alignBytes: bigint; /** A filesystem image for the data area. */ image?: string })
  | (NamespaceBase & { mode: "devdax"; alignBytes: bigint })
  | (NamespaceBase & { mode: "sector"; sectorSize: 512 | 4096 })
  | (NamespaceBase & { mode: "raw" });

interface VnvdimmBase {
  /** A stable name for `detach`; starts with a letter. */
  id?: string;
  unarmed: boolean;
  /** The whole backing extent, label area included. */
  nrPages: bigint;
  /** The label area: the last pages of the extent, owned by the domain but not mapped into it. */
  nrLabelPages: bigint;
}

/** Exact host pages (`type=mfn, backend=MFN, nr_pages=N`), as in the Xen series. */
export interface MfnVnvdimm extends VnvdimmBase {
  type: "mfn";
  backendMfn: bigint;
}

/** Pages the toolstack chooses (`size=`). */
export interface SizedVnvdimm extends VnvdimmBase {
  type: "size";
  /** What the guest sees: the extent without its label area. */
  sizeBytes: bigint;
  labelSizeBytes: bigint;
  /** The preferred host NUMA node; it must have pmem. The guest's proximity domain is the node the pages came from. */
  node?: number;
  namespace?: NamespaceRequest;
}

export type VnvdimmConfig = MfnVnvdimm | SizedVnvdimm;

export interface DomainConfig {
  name: string;
  memoryMiB: number;
  backend: Backend;
  vcpus?: number;
  vnvdimms: VnvdimmConfig[];
  /** Unset means DEFAULT_ON_MCE. */
  onMce?: OnMce;
}
