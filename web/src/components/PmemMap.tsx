// The picture of the host's persistent memory: one bar per DIMM and a legend.
import type { DashboardData } from "../api/use-dashboard-data";
import type { SegmentKind } from "../api/types";
import { ActionButton } from "./ActionButton";
import { DimmBar } from "./DimmBar";
import { Legend } from "./Legend";

const KIND_ORDER: SegmentKind[] = ["label-area", "reservation", "mgmt", "data-free", "unreserved", "other"];

export interface PmemMapProps {
  data: DashboardData;
  colors: Map<string, string>;
  onSelectDomain: (name: string) => void;
  onInjectMce: () => void;
  busy: boolean;
}

export function PmemMap({ data, colors, onSelectDomain, onInjectMce, busy }: PmemMapProps) {
  const { map, domains } = data;
  const present = new Set(map.dimms.flatMap((d) => d.segments.map((s) => s.kind)));
  const kinds = KIND_ORDER.filter((k) => present.has(k));
  const owners = [...new Set(map.dimms.flatMap((d) => d.segments.flatMap((s) => (s.kind === "extent" && s.domain ? [s.domain] : []))))];
  const stopped = new Set(domains.domains.filter((d) => d.status === "stopped").map((d) => d.name));
  const colorOf = (name: string) => colors.get(name) ?? "var(--muted)";
  const hasBroken = map.dimms.some((d) => d.broken.length > 0);

  return (
    <section className="panel" aria-labelledby="pmem-heading">
      <div className="panel-head">
        <h2 id="pmem-heading">Persistent memory</h2>
        <div className="panel-actions">
          <ActionButton unavailable={busy && "Another action is running"} onClick={onInjectMce}>Inject MCE…</ActionButton>
        </div>
      </div>
      <p className="panel-hint">Hover or focus a segment (Tab, then arrow keys) for its exact MFN and file offset ranges.</p>
      <Legend kinds={kinds} domains={owners.sort().map((name) => ({ name, color: colorOf(name) }))} hasBroken={hasBroken} hasStopped={owners.some((o) => stopped.has(o))} />
      {map.dimms.length === 0 && <p className="empty">The host has no persistent memory.</p>}
      {map.dimms.map((dimm) => (
        <DimmBar key={dimm.index} dimm={dimm} colorOf={colorOf} stoppedDomains={stopped} onSelectDomain={onSelectDomain} />
      ))}
    </section>
  );
}
