// The domains, each with its vNVDIMMs and namespaces, and the allocations a
// crash left unfinished (orphans), which `reclaim` releases.
import { useEffect, useRef } from "react";
import type { DashboardData } from "../api/use-dashboard-data";
import { hexRange } from "../lib/format";
import { ActionButton } from "./ActionButton";
import { DomainCard, type DomainActions } from "./DomainCard";

export interface DomainsPanelProps {
  data: DashboardData;
  colors: Map<string, string>;
  selected: string | null;
  busy: boolean;
  actions: DomainActions;
  onCreate: () => void;
  onReclaim: () => void;
}

export function DomainsPanel({ data, colors, selected, busy, actions, onCreate, onReclaim }: DomainsPanelProps) {
  const { domains, orphans } = data.domains;
  const cards = useRef(new Map<string, HTMLElement>());

  useEffect(() => {
    if (!selected) return;
    const el = cards.current.get(selected);
    el?.scrollIntoView({ block: "nearest", behavior: "smooth" });
    el?.focus({ preventScroll: true });
  }, [selected]);

  return (
    <section className="panel" aria-labelledby="domains-heading">
      <div className="panel-head">
        <h2 id="domains-heading">Domains <span className="count">{domains.length}</span></h2>
        <div className="panel-actions">
          <ActionButton variant="primary" action="create-domain" unavailable={busy && "Another action is running"} onClick={onCreate}>Create domain…</ActionButton>
        </div>
      </div>
      {orphans.length > 0 && (
        <div className="orphans" role="note">
          <p>
            <strong>Unfinished allocations.</strong> A crash left {orphans.reduce((n, o) => n + o.extents.length, 0)} extent(s) allocating:{" "}
            {orphans.map((o) => `${o.domain} (${o.extents.map((e) => hexRange(e.smfn, e.nrPages)).join(", ")})`).join("; ")}.
          </p>
          <ActionButton small unavailable={busy && "Another action is running"} onClick={onReclaim}>Reclaim</ActionButton>
        </div>
      )}
      {domains.length === 0 && <p className="empty">No domains yet. Create one to give a guest persistent memory.</p>}
      <div className="domain-list">
        {domains.map((d) => (
          <DomainCard key={d.name} ref={(el) => { if (el) cards.current.set(d.name, el); else cards.current.delete(d.name); }}
            domain={d} color={colors.get(d.name) ?? "var(--muted)"} namespaces={data.namespaces.get(d.name)} selected={selected === d.name} busy={busy} actions={actions} />
        ))}
      </div>
    </section>
  );
}
