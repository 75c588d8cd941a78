// Pre-provisioning guest vNVDIMMs: labels, info blocks and images, as ndctl would leave them.
export type * from "./types.js";
export { PROVISION_MIN_BYTES, DEFAULT_REGION_ALIGN_BYTES, PMEM_SECTOR_SIZES, namespaceGeometry, qemuLabelRegion } from "./geometry.js";
export { validateProvision, assertProvisionable, type ProvisionReason } from "./validate.js";
export { planProvision } from "./plan.js";
