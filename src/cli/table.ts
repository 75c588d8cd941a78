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

/** Sizes as people read them (formats/units.ts), so the CLI's tables and the toolstack's messages agree. */
export { humanSize as human, humanPages } from "../formats/units.js";
