// The public face of src/formats/nfit: the NFIT codec, its sub-structures,
// QEMU's NFIT, the interleave-set cookie and the inspect views.
export { NfitSubtableHeader, NfitPreamble, NFIT_FIRST_SUBTABLE, NfitType, type SubtableCodec, type SubtableDecoded } from "./subtable.js";
export * from "./spa-range.js";
export * from "./memdev.js";
export * from "./interleave.js";
export * from "./smbios.js";
export * from "./control-region.js";
export * from "./block-data-window.js";
export * from "./flush-hint.js";
export * from "./platform-capabilities.js";
export * from "./structures.js";
export * from "./reason-codes.js";
export * from "./cross-references.js";
export * from "./nfit.js";
export * from "./qemu.js";
export * from "./interleave-set-cookie.js";
export * from "./describe.js";
