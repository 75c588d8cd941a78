// The ACPI system description table header and its checksum (ACPI 6.4 §5.2.6).
import { defineStruct, type Record_ } from "../struct.js";
import { reason, type Reason } from "../reasons.js";

export const AcpiHeader = defineStruct({
  name: "acpi_table_header",
  size: 36,
  spec: "ACPI 6.4 §5.2.6 Table 5.4; ACPICA actbl.h",
  fields: [
    { name: "signature", offset: 0, size: 4, kind: "ascii", spec: "§5.2.6" },
    { name: "length", offset: 4, kind: "u32", spec: "whole table, header included" },
    { name: "revision", offset: 8, kind: "u8" },
    { name: "checksum", offset: 9, kind: "u8", spec: "whole table sums to 0" },
    { name: "oemId", offset: 10, size: 6, kind: "ascii" },
    { name: "oemTableId", offset: 16, size: 8, kind: "ascii" },
    { name: "oemRevision", offset: 24, kind: "u32" },
    { name: "aslCompilerId", offset: 28, size: 4, kind: "ascii" },
    { name: "aslCompilerRevision", offset: 32, kind: "u32" },
  ],
} as const);

export type AcpiHeaderFields = Record_<typeof AcpiHeader.fields>;

/** The 8-bit sum of the bytes; a valid table sums to 0. */
export function byteSum(bytes: Uint8Array, offset = 0, len = bytes.length - offset): number {
  // Masked once per 2^20 bytes, not per byte: the sum stays a small integer either way.
  let s = 0;
  const end = offset + len;
  for (let i = offset; i < end;) {
    const stop = Math.min(end, i + (1 << 20));
    for (; i < stop; i++) s += bytes[i]!;
    s &= 0xff;
  }
  return s;
}

/** Sets byte 9 so that the table sums to 0. The one place table checksums are fixed up. */
export function fixChecksum(table: Uint8Array): Uint8Array {
  table[9] = 0;
  table[9] = (0x100 - byteSum(table)) & 0xff;
  return table;
}

export type AcpiHeaderReason =
  | Reason & { code: "acpi.truncated" }
  | Reason & { code: "acpi.length" }
  | Reason & { code: "acpi.checksum" }
  | Reason & { code: "acpi.signature" };

/**
 * Checks the header in dependency order: enough bytes for a header, then the
 * length against the buffer, then the checksum. `expect` pins the signature.
 */
export function validateAcpiHeader(bytes: Uint8Array, expect?: string): AcpiHeaderReason[] {
  if (bytes.length < AcpiHeader.size) {
    return [reason("acpi.truncated", `table is ${bytes.length} bytes, shorter than the 36-byte header`, { bytes: bytes.length })];
  }
  const h = AcpiHeader.decode(bytes);
  const out: AcpiHeaderReason[] = [];
  if (expect !== undefined && h.signature !== expect) {
    out.push(reason("acpi.signature", `signature is "${h.signature}", expected "${expect}"`, { found: h.signature, expected: expect }));
    return out;
  }
  if (h.length < AcpiHeader.size || h.length > bytes.length) {
    out.push(reason("acpi.length", `header length ${h.length} does not fit the ${bytes.length} bytes given`, { length: h.length, bytes: bytes.length }));
    return out;
  }
  const sum = byteSum(bytes, 0, h.length);
  if (sum !== 0) {
    out.push(reason("acpi.checksum", `checksum mismatch: bytes sum to 0x${sum.toString(16)}, not 0`, { sum, stored: h.checksum }));
  }
  return out;
}

/** Builds a table: header + body, length and checksum filled in. */
export function buildAcpiTable(header: Omit<AcpiHeaderFields, "length" | "checksum">, body: Uint8Array): Uint8Array {
  const out = new Uint8Array(AcpiHeader.size + body.length);
  AcpiHeader.encode({ ...header, length: out.length, checksum: 0 }, out);
  out.set(body, AcpiHeader.size);
  return fixChecksum(out);
}
