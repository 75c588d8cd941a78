// The qemu backend: real Linux guests under QEMU, with QEMU as the device model.
export * from "./argv.js";
export * from "./guest-files.js";
export * from "./image/cache-dir.js";
export * from "./image/build-image.js";
export * from "./setup/index.js";
export * from "./domain-files.js";
export * from "./qmp-client.js";
export * from "./agent-protocol.js";
export * from "./agent-client.js";
export * from "./qemu-process.js";
export * from "./run-record.js";
export * from "./guest-console.js";
export * from "./ndctl-view.js";
export * from "./qemu-guest.js";
export * from "./badblocks.js";
export { LockTimeoutError, withFileLock } from "../../media/index.js";
export * from "./guest-memory.js";
