// The NFIT as a whole (ACPI 6.4 §5.2.25): ACPI header, 4 reserved bytes, then
// sub-structures walked by length as Linux's drivers/acpi/nfit/core.c walks them.
import { AcpiHeader, buildAcpiTable, validateAcpiHeader, type AcpiHeaderFields } from "../acpi/header.js";
import { reason, type Reason } from "../reasons.js";
import { NFIT_FIRST_SUBTABLE, NfitPreamble, NfitSubtableHeader } from "./subtable.js";
import { encodeNfitStructure, nfitCodecForType, type NfitStructure } from "./structures.js";
import { checkNfitCrossReferences } from "./cross-references.js";
import type { NfitReasonCode } from "./reason-codes.js";

export const NFIT_SIGNATURE = "NFIT";

export type NfitHeader = AcpiHeaderFields & { reserved: number };

/** The header fields a caller chooses; signature, length and checksum are derived. */
export type NfitHeaderInit = Omit<AcpiHeaderFields, "signature" | "length" | "checksum"> & { reserved?: number };

export interface DecodedNfit {
  /** Undefined when there are fewer than 40 bytes. */
  header: NfitHeader | undefined;
  structures: NfitStructure[];
  /** Byte offset of each structure in the table, parallel to `structures`. */
  offsets: number[];
  /** Walk problems only; signature and checksum are validateNfit's. */
  reasons: Reason[];
}

/**
 * Decodes an NFIT without ever throwing. Sub-structures of unknown type or of
 * a length wrong for their type come back as `raw`, with a reason; the walk
 * stops where Linux's would (length 0) or where it cannot go on.
 */
export function decodeNfit(bytes: Uint8Array): DecodedNfit {
  const structures: NfitStructure[] = [];
  const offsets: number[] = [];
  const reasons: Reason[] = [];
  const add = (code: NfitReasonCode, message: string, data: Record<string, unknown>) => reasons.push(reason(code, message, data));
  if (bytes.length < NFIT_FIRST_SUBTABLE) {
    add("nfit.truncated", `NFIT is ${bytes.length} bytes, shorter than its ${NFIT_FIRST_SUBTABLE}-byte header`, { bytes: bytes.length, needed: NFIT_FIRST_SUBTABLE });
    return { header: undefined, structures, offsets, reasons };
  }
  // Stored, not spread in: see tagged() in subtable.ts.
  const header = AcpiHeader.decode(bytes) as NfitHeader;
  header.reserved = NfitPreamble.decode(bytes, AcpiHeader.size).reserved;
  let end = header.length;
  if (end < NFIT_FIRST_SUBTABLE) {
    add("nfit.length", `NFIT length ${end} leaves no room for the ${NFIT_FIRST_SUBTABLE}-byte header`, { length: end, needed: NFIT_FIRST_SUBTABLE });
    return { header, structures, offsets, reasons };
  }
  if (end > bytes.length) {
    add("nfit.truncated", `NFIT length ${end} runs past the ${bytes.length} bytes given`, { length: end, bytes: bytes.length });
    end = bytes.length;
  }

  for (let offset = NFIT_FIRST_SUBTABLE, index = 0; offset < end; index++) {
    const remaining = end - offset;
    if (remaining < NfitSubtableHeader.size) {
      add("nfit.sub.truncated", `${remaining} stray bytes at offset ${offset}, too few for a sub-structure header`, { index, offset, remaining });
      break;
    }
    const { type, length } = NfitSubtableHeader.decode(bytes, offset);
    if (length === 0) {
      add("nfit.sub.zero-length", `sub-structure ${index} (type ${type}) at offset ${offset} has length 0; the walk stops`, { index, offset, type });
      break;
    }
    if (length < NfitSubtableHeader.size || length > remaining) {
      add("nfit.sub.length", `sub-structure ${index} (type ${type}) at offset ${offset} has length ${length}: under 4, or past the ${remaining} bytes that remain`, { index, offset, type, length, remaining });
      break;
    }
    const sub = bytes.subarray(offset, offset + length);
    const codec = nfitCodecForType(type);
    const decoded = codec?.decode(sub);
    if (decoded && "value" in decoded) {
      structures.push(decoded.value);
    } else {
      if (!codec) add("nfit.sub.unknown-type", `sub-structure ${index} at offset ${offset} has unknown type ${type}; kept as raw`, { index, offset, type, length });
      else if (decoded) add(`nfit.${codec.code}.length` as NfitReasonCode, `sub-structure ${index} at offset ${offset}: ${decoded.problem}, not ${length}; kept as raw`, { index, offset, type, length, expected: decoded.expected });
      structures.push({ kind: "raw", type, bytes: sub.slice() });
    }
    offsets.push(offset);
    offset += length;
  }
  return { header, structures, offsets, reasons };
}

/**
 * Validates in dependency order: the ACPI header (signature, length, checksum),
 * then the sub-structure walk, then cross-references. Never throws.
 */
export function validateNfit(bytes: Uint8Array): Reason[] {
  const head: Reason[] = validateAcpiHeader(bytes, NFIT_SIGNATURE);
  if (head.some((r) => r.code !== "acpi.checksum")) return head;
  const { structures, offsets, reasons: walk } = decodeNfit(bytes);
  const out = [...head, ...walk];
  // Unknown types are legal for forward compatibility; anything else means
  // some structure is missing or raw, and references to it would mislead.
  if (walk.some((r) => r.code !== "nfit.sub.unknown-type")) return out;
  return [...out, ...checkNfitCrossReferences(structures, offsets)];
}

/** Builds an NFIT: header, 4 reserved bytes, sub-structures; length and checksum fixed up. */
export function encodeNfit(table: { header: NfitHeaderInit; structures: readonly NfitStructure[] }): Uint8Array {
  const parts = table.structures.map(encodeNfitStructure);
  const body = new Uint8Array(NfitPreamble.size + parts.reduce((n, p) => n + p.length, 0));
  NfitPreamble.encode({ reserved: table.header.reserved ?? 0 }, body);
  let at = NfitPreamble.size;
  for (const p of parts) {
    body.set(p, at);
    at += p.length;
  }
  const h = table.header;
  return buildAcpiTable({
    signature: NFIT_SIGNATURE, revision: h.revision, oemId: h.oemId, oemTableId: h.oemTableId,
    oemRevision: h.oemRevision, aslCompilerId: h.aslCompilerId, aslCompilerRevision: h.aslCompilerRevision,
  }, body);
}

/** The structures of one kind, typed: `nfitStructuresOfKind(d.structures, "memdev")`. */
export function nfitStructuresOfKind<K extends NfitStructure["kind"]>(structures: readonly NfitStructure[], kind: K): Extract<NfitStructure, { kind: K }>[] {
  return structures.filter((s): s is Extract<NfitStructure, { kind: K }> => s.kind === kind);
}
