// Turns the create and attach forms into the text the daemon parses: an
// xl-style domain config, or one vnvdimm spec. The daemon validates it and
// answers with the exact problem, so nothing is checked twice here.

export const NAMESPACE_MODES = ["fsdax", "devdax", "sector", "raw"] as const;
export type NamespaceMode = (typeof NAMESPACE_MODES)[number];
export const LABEL_VERSIONS = ["v1.2", "v1.1"] as const;

export interface VnvdimmRow {
  size: string;
  /** "" lets the toolstack pick (it prefers one node and contiguous pages). */
  node: string;
  /** "" writes no namespace: the guest finds an empty label area. */
  mode: "" | NamespaceMode;
  namespaceName: string;
  labels: (typeof LABEL_VERSIONS)[number];
}

export interface DomainForm {
  name: string;
  memoryMiB: string;
  backend: "builtin" | "qemu";
  vnvdimms: VnvdimmRow[];
}

export const emptyRow = (): VnvdimmRow => ({ size: "1G", node: "", mode: "fsdax", namespaceName: "data", labels: "v1.2" });

export function specText(r: VnvdimmRow): string {
  const parts = [`size=${r.size.trim()}`];
  if (r.node.trim() !== "") parts.push(`node=${r.node.trim()}`);
  if (r.mode) {
    const name = r.namespaceName.trim();
    parts.push(`namespace=${r.mode}${name ? `:${name}` : ""}`, `labels=${r.labels}`);
  }
  return parts.join(", ");
}

export function configText(f: DomainForm): string {
  const lines = [`name = "${f.name.trim()}"`, `memory = ${f.memoryMiB.trim()}`, `backend = "${f.backend}"`];
  const specs = f.vnvdimms.map((r) => `"${specText(r)}"`);
  lines.push(specs.length ? `vnvdimms = [ ${specs.join(",\n             ")} ]` : "vnvdimms = []");
  return lines.join("\n") + "\n";
}
