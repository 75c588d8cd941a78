// The public face of src/hypervisor: the pmem manager of the Xen vNVDIMM
// series. Boot from firmware bytes, hypercalls with Xen-style results, the
// frame table (with the M2P), domains and their P2M.
export { bootHypervisor, parsePmemMgmt, Hypervisor, HypervisorPanic } from "./hypervisor.js";
export type { BootInput, BootOptions, DomainCreateRequest, PmemRegionInfo, RegionType } from "./hypervisor.js";
export type { MediaResolver, MediaWindow, PmemMgmtPlacement, PmemSetupRequest, SetupReasonCode } from "./setup.js";
export { mediaResolver, type MediaSpan } from "./media-resolver.js";
export type { MceResult, PopulateKind, MemoryReasonCode } from "./memory-ops.js";
export { type Errno, type HypercallResult, type HypercallOk, type HypercallError } from "./result.js";
export type { DomainView, DomainEvent, MceEvent, LabelExtent } from "./domain.js";
export { rawRegionsFromFirmware, type RawRegion, type RawRegionReasonCode } from "./raw-regions.js";
export { FrameKind, BROKEN, isBroken, isOwned, kindName, type FrameInfo, type FrameRun } from "./frame-state.js";
export { FrameTable, DEFAULT_CHUNK_PAGES } from "./frame-table.js";
export { RamFrameBacking, DENSE_BYTES_PER_PAGE, JS_OBJECT_BYTES, type FrameBacking, type DenseChunk, type ChunkDescriptors } from "./frame-backing.js";
export { PmemFrameBacking } from "./pmem-frame-backing.js";
export { FrameRecord, FrameTableHeader, FRAME_TABLE_SIGNATURE, MGMT_BYTES_PER_PAGE, mgmtLayout, mgmtPagesNeeded, type MgmtLayout } from "./mgmt-layout.js";
export { P2M_MISSING, P2M_BROKEN, type P2m, type P2mExtent, type P2mKind } from "./p2m.js";
export { LinearP2m } from "./p2m-linear.js";
export { TreeP2m } from "./p2m-tree.js";
export { createP2m } from "./domain.js";
export { checkInvariants } from "./invariants.js";
export { PAGE_BYTES, PAGE_SHIFT, MFN_LIMIT, GFN_LIMIT, DOMID_FIRST_RESERVED, CONTROL_DOMID, mfnToSpa } from "./limits.js";
