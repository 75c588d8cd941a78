// The public face of the AML encoder (ACPI 6.4 §20). Term constructors live
// in the `aml` namespace (aml.Device, aml.Method, …) so their ASL-like names
// cannot clash with the rest of src/formats.
export * as aml from "./terms.js";
export { AmlSink, encodeAml, type AmlTerm } from "./sink.js";
export { pkgLength, pkgLengthValue, decodePkgLength, PKG_LENGTH_MAX } from "./pkglength.js";
export { amlTable, buildSsdt, type AmlTableHeader } from "./table.js";
