// Attach (hotplug) a vNVDIMM to a domain, optionally with a pre-provisioned
// namespace (`namespace=MODE:NAME` in the spec), or type the spec itself.
import { useId, useState } from "react";
import { enc, postJson, type ApiError } from "../api/client";
import type { Activity } from "../api/use-actions";
import type { AttachResult, Domain } from "../api/types";
import { ActivityLine } from "../components/ActivityLine";
import { ErrorLine } from "../components/ErrorLine";
import { Modal } from "../components/Modal";
import { emptyRow, specText } from "../lib/config-text";
import { attachDone } from "../lib/result-text";
import type { RunAction } from "./CreateDomainDialog";
import { VnvdimmFields } from "./VnvdimmFields";

export function AttachDialog(p: { domain: Domain; nodes: number[]; run: RunAction; activity: Activity | null; onClose: () => void }) {
  const id = useId();
  const [row, setRow] = useState(() => ({ ...emptyRow(), size: "512M", namespaceName: `ns${p.domain.vnvdimms.length}` }));
  const [raw, setRaw] = useState<string | null>(null);
  const [force, setForce] = useState(false);
  const [error, setError] = useState<ApiError | null>(null);
  const spec = raw ?? specText(row);
  const name = p.domain.name;
  const running = p.domain.status === "running";

  const submit = async () => {
    setError(null);
    const r = await p.run(`Attaching a vNVDIMM to ${name}`, (op) => postJson<AttachResult>(`api/domains/${enc(name)}/vnvdimms`, { spec, force }, op),
      { done: (a) => attachDone(a, running), quietErrors: true });
    if (r.ok) p.onClose();
    else setError(r.error);
  };

  return (
    <Modal wide title={`Attach a vNVDIMM to ${name}`} onClose={p.onClose} onSubmit={() => void submit()} submitLabel="Attach" submitDisabled={p.activity !== null}
      description={running ? "Hotplug: the guest is notified and finds the new NVDIMM through _FIT." : "The domain is stopped; the vNVDIMM is there when it starts."}
      footer={<>{error && <ErrorLine error={error} />}{p.activity && <ActivityLine activity={p.activity} />}</>}>
      {raw === null ? (
        <VnvdimmFields row={row} nodes={p.nodes} label="New vNVDIMM" onChange={setRow} />
      ) : (
        <label className="field" htmlFor={`${id}-spec`}>
          <span>vnvdimm spec</span>
          <input id={`${id}-spec`} name="spec" className="code" value={raw} spellCheck={false} autoComplete="off" onChange={(e) => setRaw(e.target.value)} />
        </label>
      )}
      {raw === null && <p className="spec-preview"><span className="muted">spec:</span> <code>{spec}</code></p>}
      <div className="fields-row options">
        <label className="check">
          <input type="checkbox" checked={raw !== null} onChange={(e) => setRaw(e.target.checked ? specText(row) : null)} />
          Edit the spec text
        </label>
        <label className="check">
          <input type="checkbox" checked={force} onChange={(e) => setForce(e.target.checked)} />
          Overwrite foreign labels (--force)
        </label>
      </div>
    </Modal>
  );
}
