// Every reason code the NFIT codec reports, in the order validateNfit checks them.
// The ACPI header's own codes (acpi.truncated, acpi.signature, acpi.length,
// acpi.checksum) come first, from validateAcpiHeader.

export type NfitReasonCode =
  // The table as a whole.
  | "nfit.truncated" // fewer bytes than the 40-byte preamble, or than the header's length
  | "nfit.length" // the header's length is under 40
  // The walk over sub-structures (FORMATS.md §1); the first three stop it, as Linux stops.
  | "nfit.sub.truncated" // 1–3 bytes left: no room for a sub-structure header
  | "nfit.sub.zero-length" // a length of 0
  | "nfit.sub.length" // a length under 4 or past the end of the table
  | "nfit.sub.unknown-type" // kept as raw; Linux skips it
  // A length wrong for its type; the sub-structure is kept as raw.
  | "nfit.spa.length"
  | "nfit.memdev.length"
  | "nfit.interleave.length"
  | "nfit.smbios.length"
  | "nfit.dcr.length"
  | "nfit.bdw.length"
  | "nfit.flush.length"
  | "nfit.caps.length"
  // Cross-references, checked only when the walk found every length sound.
  | "nfit.spa.duplicate-index"
  | "nfit.spa.overflow" // base + length passes 2^64
  | "nfit.dcr.duplicate-index"
  | "nfit.memdev.spa" // range index names no SPA range
  | "nfit.memdev.dcr" // control region index names no control region
  | "nfit.memdev.interleave" // interleave index names no interleave structure
  | "nfit.bdw.dcr" // block data window names no control region
  | "nfit.flush.handle"; // flush hint names no memdev's device handle
