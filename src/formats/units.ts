// Checked arithmetic and size helpers. 64-bit quantities are bigint; every add
// that could pass 2^64 is checked, because hostile tables and labels carry
// arbitrary u64 values.

export const U64_MAX = 0xffff_ffff_ffff_ffffn;
export const KiB = 1024;
export const MiB = 1024 * KiB;
export const GiB = 1024 * MiB;

/** a + b, or undefined when the sum passes 2^64 − 1. */
export function addU64(a: bigint, b: bigint): bigint | undefined {
  const s = a + b;
  return s > U64_MAX ? undefined : s;
}

export function alignUp(x: number, a: number): number {
  return Math.ceil(x / a) * a;
}

export function alignUpBig(x: bigint, a: bigint): bigint {
  return ((x + a - 1n) / a) * a;
}

export function alignDownBig(x: bigint, a: bigint): bigint {
  return (x / a) * a;
}

/** A bigint that must be a safe integer to be used as a JS offset. */
export function toSafe(x: bigint): number | undefined {
  return x <= BigInt(Number.MAX_SAFE_INTEGER) && x >= 0n ? Number(x) : undefined;
}

export function hex(x: number | bigint, width = 0): string {
  return "0x" + x.toString(16).padStart(width, "0");
}

/** Parses sizes like 128K, 16M, 4G, 0x20000 or 131072. Returns undefined when malformed. */
export function parseSize(text: string): bigint | undefined {
  const m = /^(0x[0-9a-f]+|\d+)\s*([kmgt]i?b?|b)?$/i.exec(text.trim());
  if (!m) return undefined;
  const n = BigInt(m[1]!);
  const unit = (m[2] ?? "").toLowerCase()[0];
  const shift = unit === "k" ? 10n : unit === "m" ? 20n : unit === "g" ? 30n : unit === "t" ? 40n : 0n;
  return n << shift;
}

const UNITS = ["B", "KiB", "MiB", "GiB", "TiB"];
/**
 * A size as a person reads it: exact when it is a whole number of some unit
 * in at most four digits (`1 GiB`, `8190 MiB`, `1920 KiB`), else three
 * significant digits of the largest unit (`255 MiB` for 260832 KiB), as
 * `ls -h` and ndctl round. Exact counts stay in JSON and in the pages and
 * offset columns beside it.
 */
export function humanSize(bytes: number | bigint): string {
  const n = Number(bytes);
  let exact = n, e = 0;
  while (exact >= 1024 && exact % 1024 === 0 && e < UNITS.length - 1) { exact /= 1024; e++; }
  if (exact < 10000) return `${exact} ${UNITS[e]}`;
  let v = n, u = 0;
  while (v >= 1024 && u < UNITS.length - 1) { v /= 1024; u++; }
  let text = v >= 100 ? String(Math.round(v)) : v.toFixed(v >= 10 ? 1 : 2).replace(/\.?0+$/, "");
  // 1023.6 KiB rounds to 1024 KiB, which is 1 MiB.
  if (text === "1024" && u < UNITS.length - 1) { text = "1"; u++; }
  return `${text} ${UNITS[u]}`;
}

/** `96.3 MiB (24640 pages)`: the size a user thinks in, and the count of 4 KiB pages the hypervisor deals in. */
export function humanPages(nrPages: number): string {
  return `${humanSize(nrPages * 4096)} (${nrPages} pages)`;
}
