// PkgLength (ACPI 6.4 §20.2.4): 1 to 4 bytes. The lead byte's top two bits
// count the bytes that follow; with followers, only its low nibble is length.
import { AmlSink, type AmlTerm } from "./sink.js";

/** The largest value a PkgLength can hold (28 bits). */
export const PKG_LENGTH_MAX = 0x0fff_ffff;

/** The largest value each encoding width (1..4 bytes) can hold. */
const CAPACITY = [0x3f, 0xfff, 0xf_ffff, PKG_LENGTH_MAX] as const;

function encodeWidth(value: number, width: number): Uint8Array {
  if (width === 1) return Uint8Array.of(value);
  const out = new Uint8Array(width);
  out[0] = ((width - 1) << 6) | (value & 0x0f);
  for (let i = 1; i < width; i++) out[i] = (value >>> (4 + 8 * (i - 1))) & 0xff;
  return out;
}

/**
 * The PkgLength that prefixes `bodyBytes` of package contents. It counts
 * itself, so the smallest width is the one where body + width still fits.
 */
export function pkgLength(bodyBytes: number): Uint8Array {
  if (!Number.isInteger(bodyBytes) || bodyBytes < 0) throw new RangeError(`bad package body length ${bodyBytes}`);
  for (let width = 1; width <= 4; width++) {
    if (bodyBytes + width <= CAPACITY[width - 1]!) return encodeWidth(bodyBytes + width, width);
  }
  throw new RangeError(`AML package of ${bodyBytes} bytes exceeds the PkgLength limit ${PKG_LENGTH_MAX}`);
}

/**
 * A PkgLength that does not count itself: the bit width of a field element
 * (§20.2.5.2). QEMU's build_prepend_package_length picks this width as if the
 * value counted itself, so at 63, 4094-4095 and 0xFFFFD-0xFFFFF it spends one
 * byte more than needed; both forms decode the same.
 */
export function pkgLengthValue(value: number): Uint8Array {
  if (!Number.isInteger(value) || value < 0) throw new RangeError(`bad PkgLength value ${value}`);
  for (let width = 1; width <= 4; width++) {
    if (value <= CAPACITY[width - 1]!) return encodeWidth(value, width);
  }
  throw new RangeError(`${value} exceeds the PkgLength limit ${PKG_LENGTH_MAX}`);
}

/** Decodes a PkgLength at `offset`: its value and how many bytes it took. */
export function decodePkgLength(bytes: Uint8Array, offset = 0): { value: number; width: number } {
  const lead = bytes[offset];
  if (lead === undefined) throw new RangeError("PkgLength: no bytes");
  const width = (lead >> 6) + 1;
  if (width === 1) return { value: lead & 0x3f, width };
  if ((lead & 0x30) !== 0) throw new RangeError("PkgLength: bits 4-5 of a multi-byte lead must be 0");
  let value = lead & 0x0f;
  for (let i = 1; i < width; i++) {
    const b = bytes[offset + i];
    if (b === undefined) throw new RangeError("PkgLength: truncated");
    value |= b << (4 + 8 * (i - 1));
  }
  return { value, width };
}

/**
 * Emits `opcode PkgLength body`: the body is emitted first, into its own sink,
 * so its length is known before the prefix is written.
 */
export function emitPackage(sink: AmlSink, opcode: readonly number[], body: (inner: AmlSink) => void): void {
  const inner = new AmlSink();
  body(inner);
  sink.bytes(opcode).bytes(pkgLength(inner.length)).bytes(inner.toBytes());
}

/** Emits each term of a list. */
export function emitAll(sink: AmlSink, terms: readonly AmlTerm[]): void {
  for (const t of terms) t.emit(sink);
}
