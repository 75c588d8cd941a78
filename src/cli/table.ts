// Aligned text tables for human output.
import { displayWidth, padEndColumns, termText } from "./terminal-text.js";

/** Every cell is data (often a name read from media), so it is escaped; columns are aligned by display width. */
export function table(headers: string[], rows: (string | number | bigint)[][], indent = "  "): string {
  const cells = [headers, ...rows].map((r) => r.map((c) => termText(String(c))));
  const widths = headers.map((_, i) => Math.max(...cells.map((r) => displayWidth(r[i] ?? ""))));
  return cells.map((r) => indent + r.map((c, i) => (i === r.length - 1 ? c : padEndColumns(c, widths[i]!))).join("  ").trimEnd()).join("\n");
}

export function hexn(x: number | bigint): string {
  return "0x" + x.toString(16);
}

const UNITS = ["B", "KiB", "MiB", "GiB", "TiB"];
export function human(bytes: number | bigint): string {
  let v = Number(bytes);
  let u = 0;
  while (v >= 1024 && u < UNITS.length - 1 && v % 1024 === 0) { v /= 1024; u++; }
  return `${v} ${UNITS[u]}`;
}
