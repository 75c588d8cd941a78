// The dashboard: the picture of the host's persistent memory, the domains,
// and the actions on them. Data comes from the daemon's API and is refetched
// whenever the daemon announces a change (from here, the CLI or a script).
import { useCallback, useEffect, useMemo, useRef, useState, type ReactNode } from "react";
import { flushSync } from "react-dom";
import { del, enc, getToken, postJson, setToken } from "./api/client";
import { changesGuestArs, useServerEvents } from "./api/events";
import { useActions, type AskToken } from "./api/use-actions";
import { useDashboardData } from "./api/use-dashboard-data";
import type { ChangeEvent, Domain, Vnvdimm } from "./api/types";
import { DomainsPanel } from "./components/DomainsPanel";
import { ErrorLine } from "./components/ErrorLine";
import { Header } from "./components/Header";
import { PmemMap } from "./components/PmemMap";
import { LostReservations } from "./components/LostReservations";
import { StatusBar } from "./components/StatusBar";
import { ArsDialog } from "./dialogs/ArsDialog";
import { AttachDialog } from "./dialogs/AttachDialog";
import { ConfirmDialog } from "./dialogs/ConfirmDialog";
import { CreateDomainDialog, type RunAction } from "./dialogs/CreateDomainDialog";
import { MceDialog } from "./dialogs/MceDialog";
import { TokenDialog } from "./dialogs/TokenDialog";
import { domainColors } from "./lib/colors";
import { bytes, hexRange } from "./lib/format";

type OpenDialog =
  | { kind: "create" }
  | { kind: "attach"; domain: Domain }
  | { kind: "mce"; domain: Domain | null }
  | { kind: "ars"; domain: Domain }
  | { kind: "delete"; domain: Domain }
  | { kind: "detach"; domain: Domain; vnvdimm: Vnvdimm };

/** Change events come in bursts (a create is several); one refetch per burst is enough. */
const REFRESH_DEBOUNCE_MS = 120;

/**
 * Delete and detach remove the button that opened their dialog (on the next
 * refetch), so once the dialog is closed (and has given focus back to that
 * button) focus moves to a control that stays; without this a keyboard user
 * would be dropped at the top of the page.
 */
function closeThenFocus(close: () => void, selector: string): void {
  flushSync(close);
  document.querySelector<HTMLElement>(selector)?.focus();
}

function freeName(domains: readonly Domain[]): string {
  const taken = new Set(domains.map((d) => d.name));
  for (let i = 1; ; i++) if (!taken.has(`vm${i}`)) return `vm${i}`;
}

export function App() {
  const { data, loadError, refresh } = useDashboardData();
  const [dialog, setDialog] = useState<OpenDialog | null>(null);
  const [selected, setSelected] = useState<string | null>(null);
  const [tokenAsk, setTokenAsk] = useState<{ reason: string; refused: boolean; resolve: (given: boolean) => void } | null>(null);
  const [hasToken, setHasToken] = useState(() => getToken() !== null);

  const askToken: AskToken = useCallback((reason, refused) => new Promise<boolean>((resolve) => setTokenAsk({ reason, refused, resolve })), []);
  const actions = useActions(askToken);

  const timer = useRef<ReturnType<typeof setTimeout> | null>(null);
  const refreshSoon = useCallback(() => {
    if (timer.current) clearTimeout(timer.current);
    timer.current = setTimeout(refresh, REFRESH_DEBOUNCE_MS);
  }, [refresh]);
  useEffect(() => () => { if (timer.current) clearTimeout(timer.current); }, []);

  // An open scrub view fetches again when a change reaches its guest.
  const [arsVersion, setArsVersion] = useState(0);
  const onChange = (e: ChangeEvent | null) => {
    refreshSoon();
    if (dialog?.kind === "ars" && changesGuestArs(e, dialog.domain.name)) setArsVersion((n) => n + 1);
  };
  const connection = useServerEvents({ onChange, onProgress: actions.onProgress });

  const { run: runAction } = actions;
  const run: RunAction = useCallback(async (label, fn, opts) => {
    const r = await runAction(label, fn, opts);
    // The change event refetches too; this covers a feed that is reconnecting.
    if (r.ok) refreshSoon();
    return r;
  }, [runAction, refreshSoon]);

  const colors = useMemo(() => domainColors(data?.domains.domains.map((d) => d.name) ?? []), [data]);
  const nodes = useMemo(() => [...new Set(data?.map.dimms.map((d) => d.node) ?? [])].sort((a, b) => a - b), [data]);

  const domainActions = {
    start: (d: Domain) => void run(`Starting ${d.name}`, (op) => postJson(`api/domains/${enc(d.name)}/start`, {}, op), { done: `Started ${d.name} on the same pages` }),
    destroy: (d: Domain) => void run(`Stopping ${d.name}`, (op) => postJson(`api/domains/${enc(d.name)}/destroy`, {}, op), { done: `Stopped ${d.name}; its pages stay held for it` }),
    remove: (d: Domain) => setDialog({ kind: "delete", domain: d }),
    attach: (d: Domain) => setDialog({ kind: "attach", domain: d }),
    detach: (d: Domain, v: Vnvdimm) => setDialog({ kind: "detach", domain: d, vnvdimm: v }),
    injectMce: (d: Domain) => setDialog({ kind: "mce", domain: d }),
    showArs: (d: Domain) => setDialog({ kind: "ars", domain: d }),
  };
  const closeDialog = () => setDialog(null);

  const confirmDelete = async (d: Domain) => {
    const r = await run(`Deleting ${d.name}`, (op) => del(`api/domains/${enc(d.name)}`, op), { done: `Deleted ${d.name}; its pages were zeroed and are free` });
    if (r.ok) closeThenFocus(closeDialog, '[data-action="create-domain"]');
  };
  const confirmDetach = async (d: Domain, v: Vnvdimm) => {
    const r = await run(`Detaching ${v.id} from ${d.name}`, (op) => del(`api/domains/${enc(d.name)}/vnvdimms/${enc(v.id)}`, op), { done: `Detached ${v.id} from ${d.name}` });
    if (r.ok) closeThenFocus(closeDialog, `article.domain[data-domain="${CSS.escape(d.name)}"] [data-action="attach"]`);
  };
  const reclaim = () => void run("Reclaiming unfinished allocations", (op) => postJson("api/reclaim", {}, op), { done: "Reclaimed unfinished allocations" });

  const answerToken = (token: string | null) => {
    if (token !== null) { setToken(token); setHasToken(getToken() !== null); }
    tokenAsk?.resolve(token !== null && token.trim() !== "");
    setTokenAsk(null);
  };

  let body: ReactNode;
  if (data) {
    body = (
      <>
        <PmemMap data={data} colors={colors} busy={actions.busy} onSelectDomain={setSelected} onInjectMce={() => setDialog({ kind: "mce", domain: null })} />
        <DomainsPanel data={data} colors={colors} selected={selected} busy={actions.busy} actions={domainActions} onCreate={() => setDialog({ kind: "create" })} onReclaim={reclaim} />
      </>
    );
  } else if (loadError) {
    body = (
      <section className="panel">
        <h2>Cannot load the host</h2>
        <ErrorLine error={loadError} />
        <button type="button" className="button" onClick={refresh}>Try again</button>
      </section>
    );
  } else {
    body = <p className="loading" role="status">Loading the host…</p>;
  }

  return (
    <>
      <a className="skip-link" href="#domains-heading">Skip to domains</a>
      <Header data={data} connection={connection} hasToken={hasToken} onToken={() => void askToken("Set the token for this tab", false)} />
      <StatusBar activity={actions.activity} outcome={actions.outcome} onDismiss={actions.dismiss} />
      {data && loadError && <div className="stale"><ErrorLine error={loadError} /></div>}
      <main>{data && <LostReservations lost={data.host.lost} />}{body}</main>
      {dialog?.kind === "create" && data && (
        <CreateDomainDialog onClose={closeDialog} run={run} activity={actions.activity} nodes={nodes} suggestedName={freeName(data.domains.domains)} />
      )}
      {dialog?.kind === "attach" && <AttachDialog domain={dialog.domain} nodes={nodes} run={run} activity={actions.activity} onClose={closeDialog} />}
      {dialog?.kind === "mce" && data && <MceDialog domains={data.domains.domains} domain={dialog.domain} run={run} activity={actions.activity} onClose={closeDialog} />}
      {dialog?.kind === "ars" && (
        <ArsDialog domain={data?.domains.domains.find((d) => d.name === dialog.domain.name) ?? dialog.domain} version={arsVersion} onClose={closeDialog} />
      )}
      {dialog?.kind === "delete" && (
        <ConfirmDialog title={`Delete ${dialog.domain.name}?`} confirm="Delete" activity={actions.activity} onClose={closeDialog} onConfirm={() => void confirmDelete(dialog.domain)}
          body={<p>Its {dialog.domain.vnvdimms.length} extent(s) are zeroed and released for other domains: the data on them is gone. Creating <strong>{dialog.domain.name}</strong> again allocates and provisions afresh.</p>} />
      )}
      {dialog?.kind === "detach" && (
        <ConfirmDialog title={`Detach ${dialog.vnvdimm.id} from ${dialog.domain.name}?`} confirm="Detach" activity={actions.activity} onClose={closeDialog} onConfirm={() => void confirmDetach(dialog.domain, dialog.vnvdimm)}
          body={<p>The guest is told the NVDIMM is gone, and its extent ({bytes(dialog.vnvdimm.sizeBytes)} at MFN {hexRange(dialog.vnvdimm.smfn, dialog.vnvdimm.nrPages)}) is released.</p>} />
      )}
      {tokenAsk && <TokenDialog reason={tokenAsk.reason} refused={tokenAsk.refused} onDone={answerToken} />}
    </>
  );
}
