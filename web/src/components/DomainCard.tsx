// One domain: status, backend and memory; its vNVDIMMs with their host pages
// and guest windows; the namespaces its guest finds; and its actions.
import type { CSSProperties, Ref } from "react";
import type { Domain, Vnvdimm } from "../api/types";
import type { NamespacesOf } from "../api/use-dashboard-data";
import { ActionButton } from "./ActionButton";
import { bytes, hex, hexRange } from "../lib/format";

const BUSY = "Another action is running";

export interface DomainActions {
  start: (d: Domain) => void;
  destroy: (d: Domain) => void;
  remove: (d: Domain) => void;
  attach: (d: Domain) => void;
  detach: (d: Domain, v: Vnvdimm) => void;
  injectMce: (d: Domain) => void;
  showArs: (d: Domain) => void;
}

export interface DomainCardProps {
  domain: Domain;
  color: string;
  namespaces: NamespacesOf | undefined;
  selected: boolean;
  busy: boolean;
  actions: DomainActions;
}

function VnvdimmTable({ d, busy, actions }: { d: Domain; busy: boolean; actions: DomainActions }) {
  if (d.vnvdimms.length === 0) return <p className="empty">No vNVDIMMs.</p>;
  return (
    <table className="table">
      <caption>vNVDIMMs of {d.name}</caption>
      <thead>
        <tr><th scope="col">id</th><th scope="col">slot</th><th scope="col">size</th><th scope="col">node</th><th scope="col">host MFNs</th><th scope="col">guest address</th><th scope="col">state</th><th scope="col"><span className="sr-only">actions</span></th></tr>
      </thead>
      <tbody>
        {d.vnvdimms.map((v) => (
          <tr key={v.id} data-vnvdimm={v.id}>
            <th scope="row">{v.id}</th>
            <td className="num">{v.slot}</td>
            <td className="num">{bytes(v.sizeBytes)}</td>
            <td className="num">{v.node}</td>
            <td className="mono" title={`${v.nrPages} pages, of which the last ${v.nrLabelPages} hold the guest's labels`}>{hexRange(v.smfn, v.nrPages)}</td>
            <td className="mono">{v.gpa === null ? "—" : hex(v.gpa)}</td>
            <td>{v.state}</td>
            <td className="row-actions">
              <ActionButton small unavailable={busy && BUSY} onClick={() => actions.detach(d, v)} label={`Detach ${v.id} from ${d.name}`}>Detach</ActionButton>
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

function NamespaceTable({ d, ns }: { d: Domain; ns: NamespacesOf | undefined }) {
  if (d.status === "interrupted") return <p className="empty">Its create was interrupted (a crash), so there is no guest; Reclaim will {d.reclaim}.</p>;
  if (d.status !== "running") return <p className="empty">The guest is not running; start it to see its namespaces.</p>;
  if (!ns) return <p className="empty">Reading the guest's namespaces…</p>;
  if (ns.error) return <p className="empty">Cannot read the guest's namespaces: {ns.error}</p>;
  if (ns.namespaces.length === 0) return <p className="empty">The guest finds no namespaces.</p>;
  return (
    <table className="table">
      <caption>Namespaces the guest of {d.name} finds</caption>
      <thead>
        <tr><th scope="col">name</th><th scope="col">mode</th><th scope="col">size</th><th scope="col">on</th><th scope="col">uuid</th></tr>
      </thead>
      <tbody>
        {ns.namespaces.map((n, i) => (
          <tr key={n.uuid ?? `${n.dimm}-${i}`}>
            <th scope="row">{n.name || <span className="muted">(no name)</span>}</th>
            <td><span className={`mode mode-${n.mode}`}>{n.mode}</span>{n.readOnly && <span className="tag">read-only</span>}</td>
            <td className="num">{bytes(n.size)}</td>
            <td>{d.vnvdimms.find((v) => v.slot === n.dimm)?.id ?? `slot ${n.dimm}`}</td>
            <td className="mono uuid">{n.uuid ?? "label-less"}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

export function DomainCard({ domain: d, color, namespaces, selected, busy, actions, ref }: DomainCardProps & { ref?: Ref<HTMLElement> }) {
  const running = d.status === "running";
  const headingId = `domain-${d.name}`;
  return (
    <article ref={ref} tabIndex={-1} className={`domain${selected ? " selected" : ""}`} aria-labelledby={headingId} data-domain={d.name} style={{ "--domain-color": color } as CSSProperties}>
      <header className="domain-head">
        <span className="swatch big" style={{ backgroundColor: color }} aria-hidden="true" />
        <h3 id={headingId}>{d.name}</h3>
        <span className={`pill ${d.status}`}>{d.status}</span>
        <span className="domain-meta">{d.domid !== null && <>domid {d.domid} · </>}{d.backend} · {d.memoryMiB} MiB</span>
        <div className="domain-actions">
          {/* One button that turns Destroy into Start, so focus stays on it across the change. */}
          <ActionButton small variant={running ? undefined : "primary"} unavailable={busy && BUSY} onClick={() => (running ? actions.destroy(d) : actions.start(d))}
            label={running ? `Destroy (stop) ${d.name}` : `Start ${d.name} on the same pages`}>{running ? "Destroy" : "Start"}</ActionButton>
          <ActionButton small action="attach" unavailable={busy && BUSY} onClick={() => actions.attach(d)} label={`Attach a vNVDIMM to ${d.name}`}>Attach…</ActionButton>
          <ActionButton small unavailable={(busy && BUSY) || (!running && "Start the domain first: a stopped domain owns no pages in the hypervisor") || (d.vnvdimms.length === 0 && "The domain has no vNVDIMM")}
            onClick={() => actions.injectMce(d)} label={`Inject an MCE into a page of ${d.name}`}>Inject MCE…</ActionButton>
          <ActionButton small action="ars" unavailable={(!running && "Start the domain first: only a running guest can scrub")
            || (d.backend === "qemu" && "QEMU's NVDIMM has no ARS; the real guest sees broken pages as badblocks at its next boot")}
            onClick={() => actions.showArs(d)} label={`Scrub results of ${d.name}: the broken ranges its guest sees`}>Scrub results…</ActionButton>
          <ActionButton small variant="danger" unavailable={(busy && BUSY) || (running && "Destroy it first: only a stopped domain's extents can be released")}
            onClick={() => actions.remove(d)} label={`Delete ${d.name} and release its extents`}>Delete…</ActionButton>
        </div>
      </header>
      {d.error && <p className="warn" role="note">{d.error}</p>}
      <VnvdimmTable d={d} busy={busy} actions={actions} />
      <NamespaceTable d={d} ns={namespaces} />
    </article>
  );
}
