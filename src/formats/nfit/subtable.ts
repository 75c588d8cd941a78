// What every NFIT sub-structure shares: the type/length header, the table's
// 4 reserved bytes, and the helpers each sub-structure codec is built from.
import { defineStruct, type FieldDef, type StructDef } from "../struct.js";
import { AcpiHeader } from "../acpi/header.js";
import { bytesToGuid } from "../guid.js";
import { hex } from "../units.js";
import { assert } from "../reasons.js";

export const NfitSubtableHeader = defineStruct({
  name: "nfit_subtable_header",
  size: 4,
  spec: "ACPI 6.4 §5.2.25: every NFIT structure starts with u16 type, u16 length",
  fields: [
    { name: "type", offset: 0, kind: "u16" },
    { name: "length", offset: 2, kind: "u16", spec: "whole sub-structure; Linux stops walking at 0" },
  ],
} as const);

/** The NFIT body between the ACPI header and the first sub-structure. */
export const NfitPreamble = defineStruct({
  name: "nfit_preamble",
  size: 4,
  spec: "ACPI 6.4 §5.2.25: 4 reserved bytes after the 36-byte header",
  fields: [{ name: "reserved", offset: 0, kind: "u32" }],
} as const);

/** Offset of the first sub-structure (FORMATS.md §1). */
export const NFIT_FIRST_SUBTABLE = AcpiHeader.size + NfitPreamble.size;

/** NFIT structure types (ACPI 6.4 §5.2.25, "NFIT Structure Types"). */
export const NfitType = {
  spaRange: 0,
  memdev: 1,
  interleave: 2,
  smbios: 3,
  controlRegion: 4,
  blockDataWindow: 5,
  flushHint: 6,
  platformCapabilities: 7,
} as const;

/** A sub-structure's bytes either decode to a value or have a length problem. */
export type SubtableDecoded<T> = { value: T } | { problem: string; expected: string };

/**
 * One sub-structure type. `decode` gets exactly `length` bytes (header
 * included) and never throws; `encode` throws for programmer errors only.
 */
export interface SubtableCodec<T> {
  readonly type: number;
  /** Short name used in reason codes: "nfit.<code>.length". */
  readonly code: string;
  /** The name `iasl -d` prints for the type. */
  readonly title: string;
  decode(sub: Uint8Array): SubtableDecoded<T>;
  encode(value: T): Uint8Array;
  describe(value: T): Record<string, unknown>;
}

/** One zeroed scratch buffer per struct size for decodePadded; decode copies every field out, so reuse is safe. */
const scratch = new Map<number, Uint8Array>();

/** Decodes a sub-structure shorter than its struct (short forms) as if zero-padded. */
export function decodePadded<F extends readonly FieldDef[]>(S: StructDef<F>, sub: Uint8Array): ReturnType<StructDef<F>["decode"]> {
  if (sub.length >= S.size) return S.decode(sub);
  let buf = scratch.get(S.size);
  if (!buf) scratch.set(S.size, (buf = new Uint8Array(S.size)));
  buf.set(sub);
  buf.fill(0, sub.length);
  return S.decode(buf);
}

/**
 * Adds the union's discriminant to a record decode just made, in place.
 * `{ ...rec, kind, type }` says the same, but V8 takes a slow path for a
 * spread followed by more properties: microseconds per record, most of a
 * 64-DIMM NFIT's decode time. The key order is the spread's.
 */
export function tagged<R extends { type: number }, K extends string, T extends number>(rec: R, kind: K, type: T): Omit<R, "type"> & { kind: K; type: T } {
  const out = rec as unknown as Omit<R, "type"> & { kind: K; type: T };
  out.kind = kind;
  out.type = type;
  return out;
}

/** Encodes the full struct and keeps the first `length` bytes, which must lose nothing. */
export function encodeShortened(full: Uint8Array, length: number, what: string): Uint8Array {
  assert(length <= full.length, `${what}: length ${length} exceeds the ${full.length}-byte struct`);
  assert(full.subarray(length).every((b) => b === 0), `${what}: fields past length ${length} must be zero`);
  return full.slice(0, length);
}

/** Drops the type and length fields: typed structures derive them on encode. */
export function body<R extends { type: number; length: number }>(rec: R): Omit<R, "type" | "length"> {
  const { type: _type, length: _length, ...rest } = rec;
  return rest;
}

/**
 * JSON-friendly fields in struct order, named as `iasl -d` names them (in
 * camelCase). u8/u16/u32 stay numbers; u64 become "0x…" strings, because
 * addresses pass 2^53; GUIDs are canonical text; byte strings are hex; the
 * type/length header and reserved fields are left out.
 */
export function describeFields<F extends readonly FieldDef[]>(S: StructDef<F>, rec: object): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  const v = rec as Record<string, unknown>;
  for (const f of S.fields) {
    if (f.kind === "reserved" || f.name === "type" || f.name === "length") continue;
    const x = v[f.name];
    if (typeof x === "bigint") out[f.name] = hex(x);
    else if (f.kind === "guid") out[f.name] = bytesToGuid(x as Uint8Array);
    else if (x instanceof Uint8Array) out[f.name] = bytesHex(x);
    else out[f.name] = x;
  }
  return out;
}

export function bytesHex(b: Uint8Array): string {
  return Array.from(b, (x) => x.toString(16).padStart(2, "0")).join("");
}
