// Human output of `inspect acpi`.
import type { InspectAcpiResult } from "../api/index.js";
import { termLines, termText } from "./terminal-text.js";

export function renderAcpi(r: InspectAcpiResult): string {
  const out: string[] = [];
  const h = r.header;
  const file = termText(r.file), f = (k: string) => termText(String(h?.[k]));
  out.push(h ? `${file}: ${f("signature")} revision ${f("revision")}, ${f("tableLength")} bytes, OEM "${f("oemId")}" "${f("oemTableId")}", checksum ${r.checksumValid ? "ok" : "BAD"}` : `${file}: not an ACPI table (${r.bytes} bytes)`);
  for (const s of r.structures ?? []) {
    out.push("");
    const { subtableName, ...fields } = s as { subtableName?: string } & Record<string, unknown>;
    out.push(`  [${subtableName ?? `type ${termText(String(fields["subtableType"]))}`}]`);
    for (const [k, v] of Object.entries(fields)) out.push(`    ${k.padEnd(28)} ${fmt(v)}`);
  }
  out.push("", r.valid ? "Valid: every check passed." : `Invalid: ${r.reasons.length} check(s) failed`);
  for (const x of r.reasons) out.push(`  ${x.code}: ${termLines(x.message)}`);
  return out.join("\n");
}

function fmt(v: unknown): string {
  if (typeof v === "number") return `${v} (0x${v.toString(16)})`;
  if (Array.isArray(v)) return v.map((x) => fmt(x)).join(", ");
  return termText(String(v));
}
