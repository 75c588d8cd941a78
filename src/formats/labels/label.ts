// Namespace labels: v1.2 (256 bytes, UEFI 2.7 §13.19 Table 13-10) and v1.1
// (128 bytes, the original Intel layout). v1.1 is declared as the prefix of
// the v1.2 table, so the shared offsets are written once.
import { defineStruct, type FieldDef, type Record_ } from "../struct.js";
import { fletcher64 } from "../fletcher64.js";
import { decodeAscii } from "../struct.js";

export const LabelV12 = defineStruct({
  name: "nd_namespace_label (v1.2)",
  size: 256,
  spec: "UEFI 2.7 §13.19 Table 13-10; Linux drivers/nvdimm/label.h",
  fields: [
    { name: "uuid", offset: 0, size: 16, kind: "bytes", spec: "stored as raw bytes; ndctl prints them in order" },
    { name: "name", offset: 16, size: 64, kind: "bytes", spec: "NUL-terminated" },
    { name: "flags", offset: 80, kind: "u32", spec: "ROLABEL 1, LOCAL 2, BTT 4, UPDATING 8" },
    { name: "nlabel", offset: 84, kind: "u16", spec: "labels in the set = DIMMs in the interleave set" },
    { name: "position", offset: 86, kind: "u16" },
    { name: "isetcookie", offset: 88, kind: "u64" },
    { name: "lbasize", offset: 96, kind: "u64" },
    { name: "dpa", offset: 104, kind: "u64" },
    { name: "rawsize", offset: 112, kind: "u64" },
    { name: "slot", offset: 120, kind: "u32", spec: "must equal the slot it is stored in" },
    { name: "align", offset: 124, kind: "u8" },
    { name: "reserved", offset: 125, size: 3, kind: "reserved" },
    { name: "typeGuid", offset: 128, kind: "guid", spec: "the SPA range type GUID" },
    { name: "abstractionGuid", offset: 144, kind: "guid", spec: "claim class: BTT, BTT2, PFN, DAX or zero" },
    { name: "reserved2", offset: 160, size: 88, kind: "reserved" },
    { name: "checksum", offset: 248, kind: "u64", spec: "Fletcher64 over 256 bytes" },
  ],
} as const);

const V11_END = LabelV12.offsetOf("align");

export const LabelV11 = defineStruct({
  name: "nd_namespace_label (v1.1)",
  size: 128,
  spec: "Intel NVDIMM Namespace Specification v1.1; Linux label.h before UEFI 2.7",
  fields: [
    ...LabelV12.fields.filter((f: FieldDef) => f.offset < V11_END),
    { name: "unused", offset: V11_END, size: 128 - V11_END, kind: "reserved" },
  ] as const,
});

export type LabelFields = Record_<typeof LabelV12.fields>;
/** The v1.1 fields: the v1.2 table cut before `align` (the filter loses the literal types). */
export type LabelV11Fields = Pick<LabelFields, "uuid" | "name" | "flags" | "nlabel" | "position" | "isetcookie" | "lbasize" | "dpa" | "rawsize" | "slot">;

export const LABEL_FLAGS = { ROLABEL: 0x1, LOCAL: 0x2, BTT: 0x4, UPDATING: 0x8 } as const;

/** A label of either version, as the fields common to both plus v1.2 extras. */
export interface Label {
  readonly version: "1.1" | "1.2";
  readonly uuid: Uint8Array;
  readonly name: string;
  readonly nameBytes: Uint8Array;
  readonly flags: number;
  readonly nlabel: number;
  readonly position: number;
  readonly isetcookie: bigint;
  readonly lbasize: bigint;
  readonly dpa: bigint;
  readonly rawsize: bigint;
  readonly slot: number;
  readonly align?: number;
  readonly typeGuid?: Uint8Array;
  readonly abstractionGuid?: Uint8Array;
  readonly checksum?: bigint;
}

export function labelChecksum(area: Uint8Array, offset: number): bigint {
  return fletcher64(area, offset, LabelV12.size, LabelV12.offsetOf("checksum"));
}

export function decodeLabel(area: Uint8Array, offset: number, labelSizeBytes: 128 | 256): Label {
  if (labelSizeBytes === 128) {
    const l = LabelV11.decode(area, offset) as unknown as LabelV11Fields;
    return { version: "1.1", ...common(l) };
  }
  const l = LabelV12.decode(area, offset);
  return { version: "1.2", ...common(l), align: l.align, typeGuid: l.typeGuid, abstractionGuid: l.abstractionGuid, checksum: l.checksum };
}

function common(l: LabelV11Fields) {
  return {
    uuid: l.uuid, name: decodeAscii(l.name), nameBytes: l.name, flags: l.flags, nlabel: l.nlabel, position: l.position,
    isetcookie: l.isetcookie, lbasize: l.lbasize, dpa: l.dpa, rawsize: l.rawsize, slot: l.slot,
  };
}

/** What a new label says; the slot and (v1.2) checksum are filled in when it is written. */
export interface LabelInit {
  uuid: Uint8Array;
  name: string;
  flags?: number;
  nlabel?: number;
  position?: number;
  isetcookie: bigint;
  lbasize?: bigint;
  dpa: bigint;
  rawsize: bigint;
  align?: number;
  typeGuid?: Uint8Array;
  abstractionGuid?: Uint8Array;
}

export function nameToBytes(name: string): Uint8Array {
  const out = new Uint8Array(64);
  if (name.length > 63) throw new RangeError(`label name "${name}" is longer than 63 characters`);
  for (let i = 0; i < name.length; i++) {
    const c = name.charCodeAt(i);
    if (c === 0 || c > 0x7e) throw new RangeError(`label name "${name}" must be printable ASCII`);
    out[i] = c;
  }
  return out;
}

/** Encodes a label for `slot` into `area` at `offset`, with its checksum for v1.2. */
export function writeLabel(area: Uint8Array, offset: number, labelSizeBytes: 128 | 256, l: LabelInit, slot: number): void {
  const base = {
    uuid: l.uuid, name: nameToBytes(l.name), flags: l.flags ?? 0, nlabel: l.nlabel ?? 1, position: l.position ?? 0,
    isetcookie: l.isetcookie, lbasize: l.lbasize ?? 512n, dpa: l.dpa, rawsize: l.rawsize, slot,
  };
  if (labelSizeBytes === 128) {
    LabelV11.encode(base, area, offset);
    return;
  }
  LabelV12.encode({
    ...base, align: l.align ?? 0, typeGuid: l.typeGuid ?? new Uint8Array(16),
    abstractionGuid: l.abstractionGuid ?? new Uint8Array(16), checksum: 0n,
  }, area, offset);
  new DataView(area.buffer, area.byteOffset, area.byteLength).setBigUint64(offset + LabelV12.offsetOf("checksum"), labelChecksum(area, offset), true);
}

export function labelToInit(l: Label): LabelInit {
  return {
    uuid: l.uuid, name: l.name, flags: l.flags, nlabel: l.nlabel, position: l.position, isetcookie: l.isetcookie,
    lbasize: l.lbasize, dpa: l.dpa, rawsize: l.rawsize, ...(l.align !== undefined ? { align: l.align } : {}),
    ...(l.typeGuid ? { typeGuid: l.typeGuid } : {}), ...(l.abstractionGuid ? { abstractionGuid: l.abstractionGuid } : {}),
  };
}
