// Number formatting shared by the picture and the tables. Hex is how MFNs,
// SPAs and file offsets are spoken of (Xen, ndctl); sizes are binary units.

export const PAGE_BYTES = 4096;

export function hex(n: number): string {
  return `0x${n.toString(16)}`;
}

/** An inclusive range, as `xl` and ndctl print them: first–last. */
export function hexRange(start: number, count: number): string {
  return count <= 1 ? hex(start) : `${hex(start)}–${hex(start + count - 1)}`;
}

const UNITS = ["B", "KiB", "MiB", "GiB", "TiB"] as const;

export function bytes(n: number): string {
  let v = n;
  let u = 0;
  while (v >= 1024 && u < UNITS.length - 1) { v /= 1024; u++; }
  const text = Number.isInteger(v) ? String(v) : v < 10 ? v.toFixed(2) : v < 100 ? v.toFixed(1) : v.toFixed(0);
  return `${text.includes(".") ? text.replace(/\.?0+$/, "") : text} ${UNITS[u]}`;
}

/** Exact, for ranges people compare: `1 GiB + 128 KiB` rather than a rounded `1 GiB`. */
export function bytesExact(n: number): string {
  if (n === 0) return "0 B";
  const parts: string[] = [];
  let rest = n;
  for (let u = UNITS.length - 1; u >= 0 && rest > 0; u--) {
    const unit = 1024 ** u;
    const k = Math.floor(rest / unit);
    if (k > 0) { parts.push(`${k} ${UNITS[u]}`); rest -= k * unit; }
  }
  return parts.join(" + ");
}

export function pages(n: number): string {
  return `${n.toLocaleString("en-US")} ${n === 1 ? "page" : "pages"}`;
}

/** Parses an MFN typed by a person: decimal, or hex with 0x. Null when it is not one. */
export function parseMfn(text: string): number | null {
  const t = text.trim().toLowerCase();
  if (/^0x[0-9a-f]+$/.test(t)) return Number.parseInt(t.slice(2), 16);
  if (/^[0-9]+$/.test(t)) return Number.parseInt(t, 10);
  return null;
}
