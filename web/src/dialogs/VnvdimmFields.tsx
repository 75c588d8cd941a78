// The fields of one vNVDIMM request, shared by create (one per row) and
// attach: size, node, and an optional pre-provisioned namespace.
import { useId } from "react";
import { LABEL_VERSIONS, NAMESPACE_MODES, type VnvdimmRow } from "../lib/config-text";

export interface VnvdimmFieldsProps {
  row: VnvdimmRow;
  nodes: number[];
  onChange: (row: VnvdimmRow) => void;
  /** For the accessible names when there are several rows. */
  label: string;
}

export function VnvdimmFields({ row, nodes, onChange, label }: VnvdimmFieldsProps) {
  const id = useId();
  const set = <K extends keyof VnvdimmRow>(k: K, v: VnvdimmRow[K]) => onChange({ ...row, [k]: v });
  return (
    <div className="fields-row">
      <label className="field" htmlFor={`${id}-size`}>
        <span>Size</span>
        <input id={`${id}-size`} name="size" value={row.size} onChange={(e) => set("size", e.target.value)} placeholder="1G" aria-label={`${label} size`} spellCheck={false} autoComplete="off" />
      </label>
      <label className="field" htmlFor={`${id}-node`}>
        <span>Node</span>
        <select id={`${id}-node`} name="node" value={row.node} onChange={(e) => set("node", e.target.value)} aria-label={`${label} NUMA node`}>
          <option value="">any</option>
          {nodes.map((n) => <option key={n} value={String(n)}>{n}</option>)}
        </select>
      </label>
      <label className="field" htmlFor={`${id}-mode`}>
        <span>Namespace</span>
        <select id={`${id}-mode`} name="mode" value={row.mode} onChange={(e) => set("mode", e.target.value as VnvdimmRow["mode"])} aria-label={`${label} namespace mode`}>
          <option value="">none (empty labels)</option>
          {NAMESPACE_MODES.map((m) => <option key={m} value={m}>{m}</option>)}
        </select>
      </label>
      <label className="field" htmlFor={`${id}-name`}>
        <span>Name</span>
        <input id={`${id}-name`} name="namespace-name" value={row.namespaceName} disabled={!row.mode} onChange={(e) => set("namespaceName", e.target.value)} placeholder="data" aria-label={`${label} namespace name`} spellCheck={false} autoComplete="off" />
      </label>
      <label className="field" htmlFor={`${id}-labels`}>
        <span>Labels</span>
        <select id={`${id}-labels`} name="labels" value={row.labels} disabled={!row.mode} onChange={(e) => set("labels", e.target.value as VnvdimmRow["labels"])} aria-label={`${label} label version`}>
          {LABEL_VERSIONS.map((v) => <option key={v} value={v}>{v}</option>)}
        </select>
      </label>
    </div>
  );
}
