// The one way on-media and firmware structs are declared (DESIGN.md, "Declare
// each struct once"). A struct is a field table; size, decode, encode and the
// layout checks are all derived from it, so offsets are written exactly once.

export type FieldKind = "u8" | "u16" | "u32" | "u64" | "bytes" | "guid" | "ascii" | "reserved";

export interface FieldDef {
  readonly name: string;
  readonly offset: number;
  /** Byte size; implied for u8/u16/u32/u64/guid. */
  readonly size?: number;
  readonly kind: FieldKind;
  /** Where the field is defined, e.g. "ACPI 6.4 §5.2.25.2". */
  readonly spec?: string;
}

type ValueOf<K extends FieldKind> = K extends "u8" | "u16" | "u32"
  ? number
  : K extends "u64"
    ? bigint
    : K extends "ascii"
      ? string
      : Uint8Array;

/** The decoded record of a field table: one property per field. */
export type Record_<F extends readonly FieldDef[]> = {
  -readonly [D in F[number] as D["name"]]: ValueOf<D["kind"]>;
};

export interface StructDef<F extends readonly FieldDef[]> {
  readonly name: string;
  readonly size: number;
  readonly spec: string;
  readonly fields: F;
  offsetOf(field: F[number]["name"]): number;
  sizeOf(field: F[number]["name"]): number;
  /** Decodes `size` bytes at `offset`. The caller has checked the length (see `fits`). */
  decode(bytes: Uint8Array, offset?: number): Record_<F>;
  /** Encodes into a fresh buffer, or into `into` at `offset`. Missing fields are zero. */
  encode(value: Partial<Record_<F>>, into?: Uint8Array, offset?: number): Uint8Array;
  /** A record with every field zero. */
  zero(): Record_<F>;
  /** True when `size` bytes are available at `offset`. */
  fits(bytes: Uint8Array, offset?: number): boolean;
}

const FIXED: Partial<Record<FieldKind, number>> = { u8: 1, u16: 2, u32: 4, u64: 8, guid: 16 };

function fieldSize(f: FieldDef): number {
  const fixed = FIXED[f.kind];
  if (fixed !== undefined) {
    if (f.size !== undefined && f.size !== fixed) throw new Error(`field ${f.name}: ${f.kind} is ${fixed} bytes, not ${f.size}`);
    return fixed;
  }
  if (f.size === undefined || f.size <= 0) throw new Error(`field ${f.name}: ${f.kind} needs a positive size`);
  return f.size;
}

function view(bytes: Uint8Array): DataView {
  return new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

/** Field names become property names in generated code, so they must be plain identifiers. */
const IDENTIFIER = /^[A-Za-z_$][A-Za-z0-9_$]*$/;

/** Byte fields this long or shorter are copied by unrolled generated code (GUIDs, most reserved fields). */
const SHORT_UNROLL = 16;

/** Byte copies this long or shorter are a loop; longer ones go through slice(). */
const SHORT_COPY = 64;

/** A copy of b[start, start + n): a fresh array, never a view of the input. */
function copyBytes(b: Uint8Array, start: number, n: number): Uint8Array {
  if (n > SHORT_COPY) return b.slice(start, start + n);
  const out = new Uint8Array(n);
  for (let i = 0; i < n; i++) out[i] = b[start + i]!;
  return out;
}

/** A little-endian u64 from its two u32 halves; 0n and values under 2^32 need no BigInt arithmetic. */
function u64(lo: number, hi: number): bigint {
  if (hi === 0) return lo === 0 ? 0n : BigInt(lo);
  return (BigInt(hi) << 32n) | BigInt(lo);
}

function asciiAt(b: Uint8Array, start: number, n: number): string {
  let s = "";
  for (let i = start; i < start + n; i++) {
    const c = b[i]!;
    if (c === 0) break;
    s += String.fromCharCode(c);
  }
  return s;
}

type Decoder = (b: Uint8Array, o: number) => Record<string, unknown>;

/**
 * Compiles the field table into one straight-line decoder. A loop over the
 * table costs a switch, a Map lookup and a property store with a changing
 * name per field, and the records it builds have no stable shape; generated
 * code builds every record of a struct from one object literal, so V8 gives
 * them all one hidden class and inlines each read. Integers are assembled
 * from bytes (no DataView to create per call), u64s from two u32s
 * (DataView.getBigUint64 is a runtime call in V8). Names and offsets come
 * from the declaration, checked above, never from input.
 */
function compileDecoder(name: string, fields: readonly FieldDef[], sizes: ReadonlyMap<string, number>): Decoder {
  const at = (n: number) => `b[o + ${n}]`;
  const u16 = (n: number) => `(${at(n)} | (${at(n + 1)} << 8))`;
  const u32 = (n: number) => `((${at(n)} | (${at(n + 1)} << 8) | (${at(n + 2)} << 16) | (${at(n + 3)} << 24)) >>> 0)`;
  const props = fields.map((f) => {
    if (!IDENTIFIER.test(f.name)) throw new Error(`${name}.${f.name}: field names must be identifiers`);
    const n = f.offset;
    const sz = sizes.get(f.name)!;
    switch (f.kind) {
      case "u8": return `${f.name}: ${at(n)}`;
      case "u16": return `${f.name}: ${u16(n)}`;
      case "u32": return `${f.name}: ${u32(n)}`;
      case "u64": return `${f.name}: u64(${u32(n)}, ${u32(n + 4)})`;
      case "ascii": return `${f.name}: asciiAt(b, o + ${n}, ${sz})`;
      default:
        // Unrolled, a short copy's allocation has a constant length, which V8 inlines.
        if (sz > SHORT_UNROLL) return `${f.name}: copyBytes(b, o + ${n}, ${sz})`;
        return `${f.name}: (t = new Uint8Array(${sz}), ${Array.from({ length: sz }, (_, i) => `t[${i}] = ${at(n + i)}`).join(", ")}, t)`;
    }
  });
  const body = `"use strict"; return function decode_${name.replace(/\W/g, "_")}(b, o) { let t; return { ${props.join(", ")} }; };`;
  return new Function("u64", "copyBytes", "asciiAt", body)(u64, copyBytes, asciiAt) as Decoder;
}

/**
 * Declares a struct. The table must cover every byte exactly once, in order,
 * so that decode followed by encode reproduces the input byte for byte.
 */
export function defineStruct<const F extends readonly FieldDef[]>(def: {
  name: string;
  size: number;
  spec: string;
  fields: F;
}): StructDef<F> {
  const sizes = new Map<string, number>();
  const offsets = new Map<string, number>();
  let at = 0;
  for (const f of def.fields) {
    const sz = fieldSize(f);
    if (f.offset !== at) throw new Error(`${def.name}.${f.name}: offset ${f.offset}, expected ${at} (gap or overlap)`);
    if (sizes.has(f.name)) throw new Error(`${def.name}.${f.name}: declared twice`);
    sizes.set(f.name, sz);
    offsets.set(f.name, f.offset);
    at += sz;
  }
  if (at !== def.size) throw new Error(`${def.name}: fields cover ${at} bytes, declared size ${def.size}`);

  const fields = def.fields;
  const size = def.size;
  const decodeFields = compileDecoder(def.name, fields, sizes);

  function decode(bytes: Uint8Array, offset = 0): Record_<F> {
    if (offset < 0 || offset + size > bytes.length) {
      throw new RangeError(`${def.name}: ${size} bytes needed at ${offset}, have ${bytes.length - offset}`);
    }
    return decodeFields(bytes, offset) as Record_<F>;
  }

  function encode(value: Partial<Record_<F>>, into?: Uint8Array, offset = 0): Uint8Array {
    const buf = into ?? new Uint8Array(size);
    if (offset < 0 || offset + size > buf.length) throw new RangeError(`${def.name}: no room for ${size} bytes at ${offset}`);
    const dv = view(buf);
    const v = value as Record<string, unknown>;
    for (const f of fields) {
      const o = offset + f.offset;
      const sz = sizes.get(f.name)!;
      const x = v[f.name];
      switch (f.kind) {
        case "u8": dv.setUint8(o, checkedUint(def.name, f.name, x, 0xff)); break;
        case "u16": dv.setUint16(o, checkedUint(def.name, f.name, x, 0xffff), true); break;
        case "u32": dv.setUint32(o, checkedUint(def.name, f.name, x, 0xffffffff), true); break;
        case "u64": dv.setBigUint64(o, checkedU64(def.name, f.name, x), true); break;
        case "ascii": buf.set(encodeAscii(def.name, f.name, (x as string | undefined) ?? "", sz), o); break;
        default: {
          const b = (x as Uint8Array | undefined) ?? new Uint8Array(sz);
          if (b.length !== sz) throw new RangeError(`${def.name}.${f.name}: ${b.length} bytes given, field is ${sz}`);
          buf.set(b, o);
        }
      }
    }
    return buf;
  }

  function zero(): Record_<F> {
    return decode(new Uint8Array(size));
  }

  return {
    name: def.name,
    size,
    spec: def.spec,
    fields,
    offsetOf: (n) => offsets.get(n)!,
    sizeOf: (n) => sizes.get(n)!,
    decode,
    encode,
    zero,
    fits: (bytes, offset = 0) => offset >= 0 && offset + size <= bytes.length,
  };
}

function checkedUint(s: string, f: string, x: unknown, max: number): number {
  const n = x ?? 0;
  if (typeof n !== "number" || !Number.isInteger(n) || n < 0 || n > max) {
    throw new RangeError(`${s}.${f}: ${String(n)} does not fit (0..${max})`);
  }
  return n;
}

function checkedU64(s: string, f: string, x: unknown): bigint {
  const n = x ?? 0n;
  if (typeof n !== "bigint" || n < 0n || n > 0xffff_ffff_ffff_ffffn) throw new RangeError(`${s}.${f}: ${String(n)} is not a u64`);
  return n;
}

/** NUL-terminated (or full-width) ASCII, as label names and ACPI OEM IDs are stored. */
export function decodeAscii(b: Uint8Array): string {
  let end = b.indexOf(0);
  if (end < 0) end = b.length;
  let s = "";
  for (let i = 0; i < end; i++) s += String.fromCharCode(b[i]!);
  return s;
}

function encodeAscii(s: string, f: string, text: string, size: number): Uint8Array {
  if (text.length > size) throw new RangeError(`${s}.${f}: "${text}" is longer than ${size} bytes`);
  const out = new Uint8Array(size);
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c > 0x7f) throw new RangeError(`${s}.${f}: only ASCII is allowed`);
    out[i] = c;
  }
  return out;
}
