// The hypervisor reservation record (docs/reservation-record.md).
export * from "./record.js";
export * from "./plan.js";
