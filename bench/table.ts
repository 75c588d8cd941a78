// The row every benchmark reports, and the one printer for them: an aligned
// text table, or JSON with --json.

export interface BenchRow {
  /** What was measured, e.g. "readLabelArea, 128 KiB v1.2 area". */
  figure: string;
  /** The measurement, e.g. "1,412,300 ns/op". */
  value: string;
  /** What it is compared with, measured in the same run. */
  baseline: string;
  /** value / baseline, e.g. "212×". */
  ratio: string;
  /** The goal, when there is one. */
  target?: string;
}

const COLUMNS = ["figure", "value", "baseline", "ratio", "target"] as const;

/** True when `x` looks like a BenchRow (for rows that come from another module). */
export function isBenchRow(x: unknown): x is BenchRow {
  if (typeof x !== "object" || x === null) return false;
  const r = x as Record<string, unknown>;
  return ["figure", "value", "baseline", "ratio"].every((k) => typeof r[k] === "string") && (r["target"] === undefined || typeof r["target"] === "string");
}

export function formatTable(rows: readonly BenchRow[]): string {
  const columns = COLUMNS.filter((c) => c !== "target" || rows.some((r) => r.target !== undefined));
  const cell = (r: BenchRow, c: (typeof COLUMNS)[number]) => r[c] ?? "";
  const widths = columns.map((c) => Math.max(c.length, ...rows.map((r) => cell(r, c).length)));
  const line = (cells: readonly string[]) => cells.map((s, i) => (i === 0 ? s.padEnd(widths[i]!) : s.padStart(widths[i]!))).join("  ").trimEnd();
  return [line(columns), line(widths.map((w) => "-".repeat(w))), ...rows.map((r) => line(columns.map((c) => cell(r, c))))].join("\n");
}

export function printRows(rows: readonly BenchRow[], json: boolean, out: NodeJS.WritableStream = process.stdout): void {
  out.write(json ? `${JSON.stringify(rows, null, 2)}\n` : `${formatTable(rows)}\n`);
}

/** ns/op with thousands separators: "1,412,300 ns/op". */
export function nsPerOp(ns: number): string {
  return `${Math.round(ns).toLocaleString("en-US")} ns/op`;
}

export function ratioText(r: number): string {
  return `${r >= 100 ? r.toFixed(0) : r >= 10 ? r.toFixed(1) : r.toFixed(2)}×`;
}
