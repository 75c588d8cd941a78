// Data objects (ACPI 6.4 §20.2.3): integers, strings, buffers, packages.
import { guidToBytes } from "../guid.js";
import { emitPackage, emitAll } from "./pkglength.js";
import { term, type AmlTerm } from "./sink.js";

/** An integer operand: a JS number (safe, non-negative) or a bigint up to 2^64 − 1. */
export type AmlInteger = number | bigint;

/** Anything usable as a TermArg: a term, or an integer that becomes `Int(n)`. */
export type Operand = AmlTerm | AmlInteger;

const U64_MAX = 0xffff_ffff_ffff_ffffn;

function toU64(v: AmlInteger, max = U64_MAX): bigint {
  if (typeof v === "number" && !Number.isSafeInteger(v)) throw new RangeError(`AML integer ${v} is not a safe integer`);
  const b = BigInt(v);
  if (b < 0n || b > max) throw new RangeError(`AML integer ${v} is out of range 0..0x${max.toString(16)}`);
  return b;
}

export const Zero: AmlTerm = term((s) => s.byte(0x00));
export const One: AmlTerm = term((s) => s.byte(0x01));
/** All bits set; 2^64 − 1 for revision-2 tables. */
export const Ones: AmlTerm = term((s) => s.byte(0xff));

function fixedConst(prefix: number, width: number) {
  const max = (1n << BigInt(8 * width)) - 1n;
  return (v: AmlInteger): AmlTerm => {
    const n = toU64(v, max);
    return term((s) => s.byte(prefix).uint(n, width));
  };
}

export const ByteConst = fixedConst(0x0a, 1);
export const WordConst = fixedConst(0x0b, 2);
/** Fixed width on purpose: QEMU patches such values after the table is built. */
export const DWordConst = fixedConst(0x0c, 4);
export const QWordConst = fixedConst(0x0e, 8);

/** The smallest encoding: Zero, One, then Byte/Word/DWord/QWord const (as QEMU's aml_int). */
export function Int(v: AmlInteger): AmlTerm {
  const n = toU64(v);
  if (n === 0n) return Zero;
  if (n === 1n) return One;
  if (n <= 0xffn) return ByteConst(n);
  if (n <= 0xffffn) return WordConst(n);
  if (n <= 0xffff_ffffn) return DWordConst(n);
  return QWordConst(n);
}

/** Integers become `Int(n)`; terms pass through. */
export function operand(x: Operand): AmlTerm {
  return typeof x === "number" || typeof x === "bigint" ? Int(x) : x;
}

/** A String constant: ASCII 0x01-0x7F, NUL-terminated (§20.2.3). */
export function AmlString(text: string): AmlTerm {
  const bytes = new Uint8Array(text.length + 1);
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c < 0x01 || c > 0x7f) throw new RangeError(`AML strings are ASCII without NUL: "${text}"`);
    bytes[i] = c;
  }
  return term((s) => s.byte(0x0d).bytes(bytes));
}

/** Buffer (§20.2.5.4 DefBuffer): the size is `Int(bytes.length)`, then the bytes. */
export function AmlBuffer(bytes: ArrayLike<number> = []): AmlTerm {
  const data = Uint8Array.from(bytes);
  const size = Int(data.length);
  return term((s) => emitPackage(s, [0x11], (b) => { size.emit(b); b.bytes(data); }));
}

/** ToUUID: a 16-byte Buffer holding the GUID in EFI byte order (ACPI 6.4 §19.6.142). */
export function ToUUID(text: string): AmlTerm {
  return AmlBuffer(guidToBytes(text));
}

/** Package with a one-byte element count (§20.2.5.4 DefPackage). */
export function Package(elements: readonly Operand[]): AmlTerm {
  if (elements.length > 255) throw new RangeError(`Package holds at most 255 elements, not ${elements.length}; use VarPackage`);
  const items = Object.freeze(elements.map(operand));
  return term((s) => emitPackage(s, [0x12], (b) => { b.byte(items.length); emitAll(b, items); }));
}

/** VarPackage: the element count is a TermArg (§20.2.5.4 DefVarPackage). */
export function VarPackage(elements: readonly Operand[]): AmlTerm {
  const items = Object.freeze(elements.map(operand));
  const count = Int(items.length);
  return term((s) => emitPackage(s, [0x13], (b) => { count.emit(b); emitAll(b, items); }));
}
