// The public face of src/toolstack: domain configs (and, later, the domain lifecycle).
export * from "./config/index.js";
export * from "./ledger.js";
export * from "./allocator.js";
export * from "./host-boot.js";
export * from "./domain-boot.js";
export * from "./provision-extent.js";
export * from "./lifecycle.js";
export * from "./recreate.js";
export * from "./guest-session.js";
export * from "./qemu-domain.js";
export * from "./backend-lifecycle.js";
export * from "./boot-wait.js";
export * from "./scrub.js";
export * from "./page-holders.js";
export * from "./live-host.js";
export * from "./host-lock.js";
