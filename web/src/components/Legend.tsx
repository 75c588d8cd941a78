// What the colours mean: the kinds of space on a DIMM, then each domain.
import type { SegmentKind } from "../api/types";
import { KIND_EXPLANATIONS, KIND_NAMES } from "../lib/segment-text";

export function Legend({ kinds, domains, hasBroken, hasStopped }: { kinds: SegmentKind[]; domains: { name: string; color: string }[]; hasBroken: boolean; hasStopped: boolean }) {
  return (
    <ul className="legend" aria-label="Legend">
      {kinds.filter((k) => k !== "extent").map((k) => (
        <li key={k} title={KIND_EXPLANATIONS[k]}><span className={`swatch seg-${k}`} aria-hidden="true" />{KIND_NAMES[k]}</li>
      ))}
      {domains.map((d) => (
        <li key={d.name}><span className="swatch" style={{ backgroundColor: d.color }} aria-hidden="true" />{d.name}</li>
      ))}
      {hasStopped && <li title="Extents held for a stopped domain: contents intact"><span className="swatch seg-extent seg-stopped" aria-hidden="true" />stopped (held)</li>}
      <li title="The guest's label area: the last pages of each extent"><span className="swatch seg-labels-swatch" aria-hidden="true" />guest label area</li>
      {hasBroken && <li><span className="swatch broken-swatch" aria-hidden="true" />broken page</li>}
    </ul>
  );
}
