// Writes a config back in the style it is read in. Every default is written
// out, so a persisted config keeps its layout even if a default changes.
import { formatSize } from "./value-text.js";
import type { DomainConfig, NamespaceRequest, VnvdimmConfig } from "./types.js";

const LIST_INDENT = " ".repeat("vnvdimms = [ ".length);

/** `cfg` must be valid (as parseDomainConfig returns); parseDomainConfig(formatConfig(cfg)) deep-equals it. */
export function formatConfig(cfg: DomainConfig): string {
  const lines = [
    `name = ${doubleQuoted(cfg.name)}`,
    `memory = ${cfg.memoryMiB}`,
    `backend = ${doubleQuoted(cfg.backend)}`,
  ];
  if (cfg.vcpus !== undefined) lines.push(`vcpus = ${cfg.vcpus}`);
  if (cfg.onMce !== undefined) lines.push(`on_mce = ${doubleQuoted(cfg.onMce)}`);
  if (cfg.vnvdimms.length === 0) {
    lines.push("vnvdimms = []");
  } else {
    const specs = cfg.vnvdimms.map((v) => singleQuoted(formatVnvdimmSpec(v)));
    lines.push(`vnvdimms = [ ${specs.join(`,\n${LIST_INDENT}`)} ]`);
  }
  return lines.join("\n") + "\n";
}

/** One spec string, as `parseVnvdimmSpec` reads it. */
export function formatVnvdimmSpec(v: VnvdimmConfig): string {
  const parts: string[] = [];
  if (v.id !== undefined) parts.push(`id=${v.id}`);
  if (v.type === "mfn") {
    parts.push("type=mfn", `backend=0x${v.backendMfn.toString(16)}`, `nr_pages=${v.nrPages}`, `nr_label_pages=${v.nrLabelPages}`);
  } else {
    parts.push(`size=${formatSize(v.sizeBytes)}`);
    if (v.node !== undefined) parts.push(`node=${v.node}`);
    parts.push(`label_size=${formatSize(v.labelSizeBytes)}`);
    if (v.namespace !== undefined) parts.push(...namespaceParts(v.namespace));
  }
  if (v.unarmed) parts.push("unarmed=1");
  return parts.join(", ");
}

function namespaceParts(ns: NamespaceRequest): string[] {
  const parts = [`namespace=${ns.mode}${ns.name === undefined ? "" : `:${ns.name}`}`, `labels=${ns.labels}`];
  switch (ns.mode) {
    case "fsdax":
      parts.push(`align=${formatSize(ns.alignBytes)}`);
      if (ns.image !== undefined) parts.push(`image=${ns.image}`);
      break;
    case "devdax":
      parts.push(`align=${formatSize(ns.alignBytes)}`);
      break;
    case "sector":
      parts.push(`sector_size=${ns.sectorSize}`);
      break;
    case "raw":
      break;
  }
  return parts;
}

function doubleQuoted(text: string): string {
  return `"${text.replace(/[\\"]/g, (c) => `\\${c}`)}"`;
}

function singleQuoted(text: string): string {
  return `'${text.replace(/[\\']/g, (c) => `\\${c}`)}'`;
}
