// The public face of src/backends.
export * from "./builtin/index.js";
export * from "./qemu/index.js";
export * from "./liveness.js";
export * from "./memory-floor.js";
