// JSON-friendly views of ACPI tables for `vnvdimm inspect acpi --json`.
// Names follow what `iasl -d` prints, in camelCase ("Table Length" →
// tableLength, "Region Type GUID" → regionTypeGuid). Numbers up to 32 bits are
// plain numbers; every u64 is a "0x…" string; GUIDs are canonical text.
import { AcpiHeader, byteSum, validateAcpiHeader, type AcpiHeaderFields } from "../acpi/header.js";
import type { Reason } from "../reasons.js";
import { decodeNfit, validateNfit, NFIT_SIGNATURE } from "./nfit.js";
import { describeNfitStructure } from "./structures.js";

export interface AcpiTableDescription {
  /** Null when there are fewer than 36 bytes. */
  header: Record<string, string | number> | null;
  /** True when the header's length fits the bytes and they sum to 0. */
  checksumValid: boolean;
  /** Every validation reason, in dependency order. */
  reasons: Reason[];
  /** NFIT only: each sub-structure in table order. */
  structures?: Record<string, unknown>[];
}

function describeHeader(h: AcpiHeaderFields): Record<string, string | number> {
  return {
    signature: h.signature, tableLength: h.length, revision: h.revision, checksum: h.checksum,
    oemId: h.oemId, oemTableId: h.oemTableId, oemRevision: h.oemRevision,
    aslCompilerId: h.aslCompilerId, aslCompilerRevision: h.aslCompilerRevision,
  };
}

function checksumValid(bytes: Uint8Array): boolean {
  if (!AcpiHeader.fits(bytes)) return false;
  const { length } = AcpiHeader.decode(bytes);
  return length >= AcpiHeader.size && length <= bytes.length && byteSum(bytes, 0, length) === 0;
}

/** An NFIT in full: header (with the reserved dword), sub-structures, reasons. */
export function describeNfit(bytes: Uint8Array): AcpiTableDescription {
  const { header, structures } = decodeNfit(bytes);
  const head = header ? { ...describeHeader(header), reserved: header.reserved } : AcpiHeader.fits(bytes) ? describeHeader(AcpiHeader.decode(bytes)) : null;
  return { header: head, checksumValid: checksumValid(bytes), reasons: validateNfit(bytes), structures: structures.map(describeNfitStructure) };
}

/** Any ACPI table: header and checksum status; an NFIT also in full. */
export function describeAcpiTable(bytes: Uint8Array): AcpiTableDescription {
  if (!AcpiHeader.fits(bytes)) return { header: null, checksumValid: false, reasons: validateAcpiHeader(bytes) };
  const header = AcpiHeader.decode(bytes);
  if (header.signature === NFIT_SIGNATURE) return describeNfit(bytes);
  return { header: describeHeader(header), checksumValid: checksumValid(bytes), reasons: validateAcpiHeader(bytes) };
}
