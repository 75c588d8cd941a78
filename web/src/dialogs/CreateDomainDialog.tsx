// Create a domain: a form that writes an xl-style config, or the config text
// itself. The daemon parses and validates it; its answer (one line and a
// hint, naming the line) is shown here and the dialog stays open to fix it.
import { useId, useState } from "react";
import { postJson, type ApiError } from "../api/client";
import type { ActionOptions, Activity, ActionResult } from "../api/use-actions";
import { ActivityLine } from "../components/ActivityLine";
import { ErrorLine } from "../components/ErrorLine";
import { Modal } from "../components/Modal";
import { configText, emptyRow, type DomainForm } from "../lib/config-text";
import { VnvdimmFields } from "./VnvdimmFields";

export interface RunAction {
  <T>(label: string, fn: (operationId: string) => Promise<T>, opts: ActionOptions<T>): Promise<ActionResult<T>>;
}

export interface CreateDomainDialogProps {
  onClose: () => void;
  run: RunAction;
  activity: Activity | null;
  nodes: number[];
  suggestedName: string;
}

export function CreateDomainDialog(p: CreateDomainDialogProps) {
  const id = useId();
  const [form, setForm] = useState<DomainForm>(() => ({ name: p.suggestedName, memoryMiB: "1024", backend: "builtin", vnvdimms: [emptyRow()] }));
  const [raw, setRaw] = useState<string | null>(null);
  const [force, setForce] = useState(false);
  const [error, setError] = useState<ApiError | null>(null);
  const text = raw ?? configText(form);
  const nameOf = () => (raw === null ? form.name.trim() : /name\s*=\s*"([^"]*)"/.exec(raw)?.[1] ?? "the domain");

  const submit = async () => {
    setError(null);
    const name = nameOf();
    const r = await p.run(`Creating ${name}`, (op) => postJson("api/domains", { config: text, force }, op), { done: `Created domain ${name}`, quietErrors: true });
    if (r.ok) p.onClose();
    else setError(r.error);
  };

  const busyHere = p.activity !== null;
  return (
    <Modal wide title="Create a domain" onClose={p.onClose} onSubmit={() => void submit()} submitLabel="Create" submitDisabled={busyHere}
      description={<>The toolstack allocates host pages for each vNVDIMM, writes the requested namespace into its label area, and starts the guest.</>}
      footer={<>{error && <ErrorLine error={error} />}{p.activity && <ActivityLine activity={p.activity} />}</>}>
      {raw === null ? (
        <>
          <div className="fields-row">
            <label className="field grow" htmlFor={`${id}-name`}>
              <span>Name</span>
              <input id={`${id}-name`} name="name" value={form.name} data-autofocus required spellCheck={false} autoComplete="off" onChange={(e) => setForm({ ...form, name: e.target.value })} />
            </label>
            <label className="field" htmlFor={`${id}-mem`}>
              <span>Memory (MiB)</span>
              <input id={`${id}-mem`} name="memory" inputMode="numeric" value={form.memoryMiB} onChange={(e) => setForm({ ...form, memoryMiB: e.target.value })} />
            </label>
            <label className="field" htmlFor={`${id}-backend`}>
              <span>Backend</span>
              <select id={`${id}-backend`} name="backend" value={form.backend} onChange={(e) => setForm({ ...form, backend: e.target.value as DomainForm["backend"] })}>
                <option value="builtin">builtin (probe guest)</option>
                <option value="qemu">qemu (Linux guest)</option>
              </select>
            </label>
          </div>
          <fieldset className="vnvdimm-rows">
            <legend>vNVDIMMs</legend>
            {form.vnvdimms.map((row, i) => (
              <div className="vnvdimm-row" key={i}>
                <span className="row-index" aria-hidden="true">{i}</span>
                <VnvdimmFields row={row} nodes={p.nodes} label={`vNVDIMM ${i}`} onChange={(r) => setForm({ ...form, vnvdimms: form.vnvdimms.map((x, j) => (j === i ? r : x)) })} />
                <button type="button" className="icon-button" aria-label={`Remove vNVDIMM ${i}`} onClick={() => setForm({ ...form, vnvdimms: form.vnvdimms.filter((_, j) => j !== i) })}>×</button>
              </div>
            ))}
            <button type="button" className="button small" onClick={() => setForm({ ...form, vnvdimms: [...form.vnvdimms, { ...emptyRow(), namespaceName: `data${form.vnvdimms.length}` }] })}>Add a vNVDIMM</button>
          </fieldset>
          <details className="preview">
            <summary>Config text</summary>
            <pre className="code" aria-label="The config the form writes">{text}</pre>
          </details>
        </>
      ) : (
        <label className="field" htmlFor={`${id}-raw`}>
          <span>Config (xl style)</span>
          <textarea id={`${id}-raw`} name="config" className="code" rows={10} value={raw} spellCheck={false} data-autofocus onChange={(e) => setRaw(e.target.value)} />
        </label>
      )}
      <div className="fields-row options">
        <label className="check">
          <input type="checkbox" checked={raw !== null} onChange={(e) => setRaw(e.target.checked ? configText(form) : null)} />
          Edit the config text
        </label>
        <label className="check" title="Provision over labels another system wrote (vnvdimm create --force)">
          <input type="checkbox" name="force" checked={force} onChange={(e) => setForce(e.target.checked)} />
          Overwrite foreign labels (--force)
        </label>
      </div>
    </Modal>
  );
}
