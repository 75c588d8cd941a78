// JSON output that keeps u64 values exact: ndctl prints isetcookie and DPAs as
// plain 64-bit numbers, and JSON.stringify would either throw on a bigint or
// round it through a double.

export function toJson(value: unknown, indent = 2): string {
  const marks: string[] = [];
  const text = JSON.stringify(value, (_k, v: unknown) => {
    if (typeof v === "bigint") {
      marks.push(v.toString());
      return `\u0000BIG${marks.length - 1}\u0000`;
    }
    if (v instanceof Uint8Array) return Array.from(v);
    return v;
  }, indent);
  return text.replace(/"\\u0000BIG(\d+)\\u0000"/g, (_m, i: string) => marks[Number(i)]!);
}
