// The probe guest: Linux's nfit + libnvdimm behaviour through guest-visible interfaces only.
export * from "./platform.js";
export * from "./dsm-client.js";
export * from "./namespace-io.js";
export * from "./probe-guest.js";
