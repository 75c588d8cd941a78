// Reading and writing value text: numbers, sizes and names. Lengths are
// capped before BigInt sees the text, so hostile input cannot make parsing slow.
import { parseSize } from "../../formats/index.js";
import { quote } from "./config-error.js";
import { badValue, ok, type Checked } from "./rules.js";

export const KiB = 1n << 10n;
export const MiB = 1n << 20n;
export const GiB = 1n << 30n;
export const TiB = 1n << 40n;

const NUMBER = /^(?:0|[1-9][0-9]{0,19}|0x[0-9a-f]{1,16})$/i;

/** Decimal or 0x hex; leading zeros are refused because xl reads them as octal. */
export function readNumber(key: string, text: string, example: string): Checked<bigint> {
  if (NUMBER.test(text)) return ok(BigInt(text.toLowerCase()));
  if (text === "") return badValue(`${key} is empty`, `write a number, e.g. ${key}=${example}`);
  const why = notANumber(key, text, (v) => `${key}=${v}`, example);
  return badValue(why.what, why.hint);
}

/** Why `text` is not a number, with `write` giving the fixed form, e.g. `(v) => "memory = " + v`. */
/** `digits` tells a malformed number (`010`, too many digits) from text that is no number at all. */
export function notANumber(key: string, text: string, write: (value: string) => string, example: string): { what: string; hint: string; digits: boolean } {
  if (/^0[0-9]+$/.test(text) && text.length <= 32) {
    return { what: `${key} ${quote(text)} has a leading zero`, hint: `write ${write(String(BigInt(text)))}; xl would read it as octal`, digits: true };
  }
  if (/^(?:[0-9]+|0x[0-9a-f]+)$/i.test(text)) return { what: `${key} ${quote(text)} is too large`, hint: `use e.g. ${write(example)}`, digits: true };
  return { what: `${key} ${quote(text)} is not a number`, hint: `use decimal or 0x hex, e.g. ${write(example)}`, digits: false };
}

export function readSize(key: string, text: string, example: string): Checked<bigint> {
  const n = text.length <= 32 ? parseSize(text) : undefined;
  if (n !== undefined) return ok(n);
  if (text === "") return badValue(`${key} is empty`, `write a size, e.g. ${key}=${example}`);
  return badValue(`${key} ${quote(text)} is not a size`, `use a number with K, M, G or T, e.g. ${key}=${example}`);
}

/** The shortest exact form: 4G, 128K, 3000M, or plain bytes. */
export function formatSize(bytes: bigint): string {
  for (const [unit, scale] of [["T", TiB], ["G", GiB], ["M", MiB], ["K", KiB]] as const) {
    if (bytes >= scale && bytes % scale === 0n) return `${bytes / scale}${unit}`;
  }
  return String(bytes);
}

export function roundUp(x: bigint, step: bigint): bigint {
  return ((x + step - 1n) / step) * step;
}

/** Printable ASCII, as a label's name field holds. */
export function firstNonPrintable(text: string): string | undefined {
  return /[^\x20-\x7e]/.exec(text)?.[0];
}

/** Any control character; a path may hold other Unicode. */
export function firstControl(text: string): string | undefined {
  for (const c of text) {
    const code = c.charCodeAt(0);
    if (code < 0x20 || code === 0x7f) return c;
  }
  return undefined;
}
