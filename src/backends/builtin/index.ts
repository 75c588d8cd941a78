// The builtin backend: vnvdimm's own device model and the probe guest.
export * from "./guest-memory.js";
export * from "./builtin-domain.js";
