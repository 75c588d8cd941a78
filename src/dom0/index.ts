// The public face of src/dom0: the control domain's view of host DIMMs and its reservations.
export * from "./label-access.js";
export * from "./dimm-media.js";
export * from "./scan.js";
export * from "./reserve.js";
