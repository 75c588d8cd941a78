// Inject a machine check on a host page: one of a domain's pages (picked by
// vNVDIMM and page number), or any MFN typed in hex or decimal. The
// hypervisor marks it broken and tells the owner domain.
import { useId, useState } from "react";
import { postJson, type ApiError } from "../api/client";
import type { Activity } from "../api/use-actions";
import type { Domain, MceResult } from "../api/types";
import { ActivityLine } from "../components/ActivityLine";
import { ErrorLine } from "../components/ErrorLine";
import { Modal } from "../components/Modal";
import { hex, parseMfn } from "../lib/format";
import { mceDone } from "../lib/result-text";
import type { RunAction } from "./CreateDomainDialog";

interface Target { key: string; domain: string; id: string; smfn: number; nrPages: number }

export function MceDialog(p: { domains: Domain[]; domain: Domain | null; run: RunAction; activity: Activity | null; onClose: () => void }) {
  const id = useId();
  const targets: Target[] = p.domains.flatMap((d) => d.vnvdimms.map((v) => ({ key: `${d.name}/${v.id}`, domain: d.name, id: v.id, smfn: v.smfn, nrPages: v.nrPages })));
  const first = targets.find((t) => t.domain === p.domain?.name) ?? targets[0];
  const [mode, setMode] = useState<"page" | "mfn">(first ? "page" : "mfn");
  const [target, setTarget] = useState(first?.key ?? "");
  const [page, setPage] = useState("0");
  const [mfnText, setMfnText] = useState("");
  const [error, setError] = useState<ApiError | null>(null);

  const t = targets.find((x) => x.key === target);
  const pageNo = /^\d+$/.test(page.trim()) ? Number(page.trim()) : null;
  const mfn = mode === "page" ? (t && pageNo !== null && pageNo < t.nrPages ? t.smfn + pageNo : null) : parseMfn(mfnText);
  const problem = mode === "page"
    ? (!t ? "Pick a vNVDIMM" : pageNo === null ? "The page number is not a number" : pageNo >= t.nrPages ? `The extent has ${t.nrPages} pages (0–${t.nrPages - 1})` : null)
    : (mfnText.trim() === "" ? "Type an MFN" : mfn === null ? "The MFN is not a number (hex with 0x, or decimal)" : null);

  const submit = async () => {
    if (mfn === null) return;
    setError(null);
    const r = await p.run(`Injecting an MCE on MFN ${hex(mfn)}`, (op) => postJson<MceResult>("api/host/mce", { mfn: hex(mfn) }, op), { done: mceDone, quietErrors: true });
    if (r.ok) p.onClose();
    else setError(r.error);
  };

  return (
    <Modal title="Inject a machine check" onClose={p.onClose} onSubmit={() => void submit()} submitLabel="Inject MCE" danger submitDisabled={mfn === null || p.activity !== null}
      description="The page is marked broken in the frame table and never handed out again; its owner domain is told: a running builtin guest is notified and scrubs (ARS), and sees the broken range."
      footer={<>{error && <ErrorLine error={error} />}{p.activity && <ActivityLine activity={p.activity} />}</>}>
      <fieldset className="radio-row">
        <legend className="sr-only">Which page</legend>
        <label className="check"><input type="radio" name="mce-mode" checked={mode === "page"} disabled={targets.length === 0} onChange={() => setMode("page")} /> A page of a vNVDIMM</label>
        <label className="check"><input type="radio" name="mce-mode" checked={mode === "mfn"} onChange={() => setMode("mfn")} /> Any MFN</label>
      </fieldset>
      {mode === "page" ? (
        <div className="fields-row">
          <label className="field grow" htmlFor={`${id}-target`}>
            <span>vNVDIMM</span>
            <select id={`${id}-target`} value={target} onChange={(e) => setTarget(e.target.value)}>
              {targets.map((x) => <option key={x.key} value={x.key}>{x.domain} / {x.id} ({hex(x.smfn)}, {x.nrPages} pages)</option>)}
            </select>
          </label>
          <label className="field" htmlFor={`${id}-page`}>
            <span>Page in the extent</span>
            <input id={`${id}-page`} inputMode="numeric" value={page} onChange={(e) => setPage(e.target.value)} />
          </label>
        </div>
      ) : (
        <label className="field" htmlFor={`${id}-mfn`}>
          <span>MFN</span>
          <input id={`${id}-mfn`} className="code" value={mfnText} placeholder="0x241000" spellCheck={false} autoComplete="off" onChange={(e) => setMfnText(e.target.value)} />
        </label>
      )}
      <p className="spec-preview" aria-live="polite">{problem ? <span className="muted">{problem}</span> : <>Machine check on MFN <code>{hex(mfn!)}</code></>}</p>
    </Modal>
  );
}
