// The public face of src/devicemodel: the builtin device model's guest-facing
// parts (DESIGN.md step 6). It uses src/formats only; host-side facts come in
// through the small interfaces declared here.
export * from "./errors.js";
export * from "./guest-layout.js";
export * from "./guest-acpi.js";
export * from "./fit.js";
export * from "./hotplug.js";
export * from "./ars-structs.js";
export * from "./ars.js";
export * from "./mailbox.js";
export * from "./device-model.js";
export * from "./probe/index.js";
