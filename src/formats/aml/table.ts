// AML definition blocks: header + term list. Length and checksum are fixed
// up in exactly one place, buildAcpiTable.
import { buildAcpiTable, type AcpiHeaderFields } from "../acpi/header.js";
import { encodeAml, type AmlTerm } from "./sink.js";

/** Header fields a definition block carries besides its signature, length and checksum. */
export type AmlTableHeader = Omit<AcpiHeaderFields, "signature" | "length" | "checksum">;

/** A definition block (DSDT, SSDT, …): the 36-byte header then the encoded terms. */
export function amlTable(signature: string, header: AmlTableHeader, terms: readonly AmlTerm[]): Uint8Array {
  return buildAcpiTable({ signature, ...header }, encodeAml(terms));
}

/** An SSDT. */
export function buildSsdt(header: AmlTableHeader, terms: readonly AmlTerm[]): Uint8Array {
  return amlTable("SSDT", header, terms);
}
