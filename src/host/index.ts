// The public face of src/host: machine specs, emulated hosts, firmware tables, discovery.
export * from "./spec.js";
export * from "./memory-map.js";
export * from "./firmware.js";
export * from "./state-dir.js";
export * from "./emulated-host.js";
export * from "./sysfs-discovery.js";
export * from "./boot-options.js";
export * from "./known-reservations.js";
