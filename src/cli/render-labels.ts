// Human output of `inspect labels`.
import type { InspectLabelsResult } from "../api/index.js";
import { hexn, human, table } from "./table.js";
import { termLines, termText } from "./terminal-text.js";

export function renderLabels(r: InspectLabelsResult): string {
  const out: string[] = [];
  const where = r.dataPresent ? `label area at ${hexn(r.labelAreaOffset)}, ${human(r.labelSizeBytes)}` : `label area only, ${human(r.labelSizeBytes)}`;
  out.push(`${termText(r.file)}: ${where}; ${r.labelVersion ? `v${r.labelVersion} labels` : "no valid index (label-less)"}`);
  out.push("", "Index blocks");
  out.push(table(["#", "signature", "version", "seq", "nslot", "labelsize", "state"], r.index.map((ix, i) => [
    i, ix.signature || "(none)", `${ix.major}.${ix.minor}`, ix.seq, ix.nslot, ix.labelsize,
    r.current === i ? "current" : r.indexValid[i] ? "valid" : "invalid",
  ])));
  out.push(`  current: ${r.current < 0 ? "none" : `block ${r.current}`} (${termLines(r.why)})`);

  const active = new Set(r.activeSlots);
  const labels = r.label.filter((l) => active.has(l.slot));
  out.push("", `Active labels (${labels.length})`);
  if (labels.length) {
    out.push(table(["slot", "uuid", "name", "flags", "pos/n", "isetcookie", "dpa", "rawsize", "lbasize"], labels.map((l) => [
      l.slot, l.uuid, l.name || "-", hexn(l.flags), `${l.position}/${l.nlabel}`, hexn(l.isetcookie), hexn(l.dpa), human(l.rawsize), Number(l.lbasize),
    ])));
  }

  out.push("", `Namespaces (${r.namespaces.length})`);
  if (r.namespaces.length) {
    out.push(table(["uuid", "name", "mode", "dpa", "size", "slots"], r.namespaces.map((n) => [
      n.uuid ?? "(label-less)", n.name || "-", n.mode ?? (r.dataPresent ? "?" : "(no data area)"), hexn(n.dpa), human(n.rawsize), n.slots.join(",") || "-",
    ])));
  }

  if (r.infoBlocks.length) {
    out.push("", "Info blocks");
    out.push(table(["namespace", "kind", "at", "uuid", "parent", "dataoff", "align", "version"], r.infoBlocks.map((b) => [
      b.namespace ?? "(label-less)", b.kind, b.offset === undefined ? "-" : hexn(b.offset), b.uuid ?? "-", b.parentUuid ?? "-",
      b.dataoff === undefined ? "-" : hexn(b.dataoff), b.align === undefined ? "-" : human(b.align), b.version ?? "-",
    ])));
  }

  if (r.stale.length) {
    out.push("", "Stale labels (free slots still holding a label; Linux ignores them)");
    out.push(table(["slot", "uuid", "name", "flags"], r.stale.map((s) => [s.slot, s.uuid, s.name || "-", hexn(s.flags)])));
  }
  if (r.rejected.length) {
    out.push("", "Rejected label sets (their space is held back, not reported as free)");
    for (const x of r.rejected) out.push(`  ${x.uuid} "${termText(x.name)}" (slots ${x.slots.join(",")}): ${x.reasons.map((y) => y.code).join(", ")}`);
  }
  if (r.available) {
    out.push("", `Free space: ${r.available.length ? r.available.map((e) => `${hexn(e.dpa)}+${human(e.size)}`).join(", ") : "none"}`);
  }
  out.push("", r.valid ? "Valid: every check passed." : `Invalid: ${r.reasons.length} check(s) failed`);
  for (const x of r.reasons) out.push(`  ${x.code}: ${termLines(x.message)}`);
  return out.join("\n");
}
