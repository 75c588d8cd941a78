// The public face of src/formats: pure codecs, no I/O (DESIGN.md).
export * from "./struct.js";
export * from "./fletcher64.js";
export * from "./guid.js";
export * from "./reasons.js";
export * from "./units.js";
export * from "./acpi/header.js";
