// The public face of src/formats: pure codecs, no I/O (DESIGN.md).
export * from "./struct.js";
export * from "./fletcher64.js";
export * from "./guid.js";
export * from "./reasons.js";
export * from "./units.js";
export * from "./acpi/header.js";
export * from "./labels/index.js";
export * from "./aml/index.js";
export * from "./ssdt/index.js";
export * from "./infoblock/index.js";
export * from "./nfit/index.js";
export * from "./e820.js";
export * from "./reservation/index.js";
export * from "./dsm/index.js";
export * from "./fs-signatures.js";
export * from "./provision/index.js";
