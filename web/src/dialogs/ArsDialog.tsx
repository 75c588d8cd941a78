// What a running domain's guest sees of broken persistent memory: an Address
// Range Scrub run now (the broken ranges, by DIMM and guest-physical address)
// and the notifications its NVDIMM driver handled (an uncorrectable error, a
// FIT change on hotplug). Fetched on opening, again on every change that may
// alter it (`version`: a machine check, an attach or detach, from here or
// the CLI), and on "Scrub again".
import { useEffect, useState } from "react";
import { ApiError, enc, getJson } from "../api/client";
import type { Domain, GuestArs } from "../api/types";
import { ErrorLine } from "../components/ErrorLine";
import { Modal } from "../components/Modal";
import { bytes, hex, hexRange, PAGE_BYTES } from "../lib/format";

const EVENT_TEXT: Record<string, string> = {
  "uncorrectable-error": "told of an uncorrectable error (Notify 0x81); it scrubbed",
  "fit-changed": "told the FIT changed (Notify 0x80): a hotplug or unplug; it re-read the FIT",
};

type Shown = { key: string; ars: GuestArs; at: Date } | { key: string; error: ApiError };

function clock(d: Date): string {
  return d.toLocaleTimeString("en-GB", { hour12: false });
}

/** The host pages behind a guest range, when it lies in one of the domain's vNVDIMM windows. */
function hostPages(d: Domain, slot: number, address: number, length: number): string {
  const v = d.vnvdimms.find((x) => x.slot === slot);
  if (!v || v.gpa === null || address < v.gpa || address >= v.gpa + v.sizeBytes) return "—";
  return hexRange(v.smfn + Math.floor((address - v.gpa) / PAGE_BYTES), Math.max(1, Math.ceil(length / PAGE_BYTES)));
}

function Records({ d, ars }: { d: Domain; ars: GuestArs }) {
  if (ars.records.length === 0) return <p className="empty">The scrub finds no broken ranges.</p>;
  return (
    <table className="table" data-ars="records">
      <caption>Broken ranges seen by the guest</caption>
      <thead>
        <tr><th scope="col">DIMM</th><th scope="col">vNVDIMM</th><th scope="col">guest address</th><th scope="col">length</th><th scope="col">host MFNs</th></tr>
      </thead>
      <tbody>
        {ars.records.map((r) => {
          const slot = r.handle - 1;
          return (
            <tr key={`${r.handle}-${r.address}`} data-address={hex(r.address)}>
              <th scope="row" title={`NFIT device handle ${r.handle}`}>{slot}</th>
              <td>{d.vnvdimms.find((v) => v.slot === slot)?.id ?? <span className="muted">detached</span>}</td>
              <td className="mono">{hex(r.address)}</td>
              <td className="num">{bytes(r.length)}</td>
              <td className="mono">{hostPages(d, slot, r.address, r.length)}</td>
            </tr>
          );
        })}
      </tbody>
    </table>
  );
}

function Events({ ars }: { ars: GuestArs }) {
  if (ars.events.length === 0) return <p className="empty">Its driver has handled no notifications since the domain started.</p>;
  return (
    <table className="table" data-ars="events">
      <caption>Notifications the guest's driver handled</caption>
      <thead>
        <tr><th scope="col">time</th><th scope="col">kind</th><th scope="col">ranges found</th><th scope="col">what the driver did</th></tr>
      </thead>
      <tbody>
        {ars.events.map((e, i) => (
          <tr key={`${e.at}-${i}`} data-kind={e.kind}>
            <th scope="row"><time dateTime={e.at} title={e.at}>{clock(new Date(e.at))}</time></th>
            <td><code>{e.kind}</code></td>
            <td className="num">{e.records}</td>
            <td className="muted">{EVENT_TEXT[e.kind] ?? ""}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

export function ArsDialog(p: { domain: Domain; version: number; onClose: () => void }) {
  const name = p.domain.name;
  const [again, setAgain] = useState(0);
  const [shown, setShown] = useState<Shown | null>(null);
  const key = `${name}/${p.version}/${again}`;

  useEffect(() => {
    const ctl = new AbortController();
    getJson<GuestArs>(`api/domains/${enc(name)}/ars`, ctl.signal).then(
      (ars) => { if (!ctl.signal.aborted) setShown({ key, ars, at: new Date() }); },
      (e: unknown) => {
        if (ctl.signal.aborted) return;
        setShown({ key, error: e instanceof ApiError ? e : new ApiError(0, "bug", e instanceof Error ? e.message : String(e)) });
      },
    );
    return () => ctl.abort();
  }, [name, key]);

  const scrubbing = shown?.key !== key;
  let summary: string;
  if (!shown) summary = "Scrubbing…";
  else if ("error" in shown) summary = scrubbing ? "Scrubbing again…" : "The scrub failed";
  else {
    const n = shown.ars.records.length;
    summary = `${scrubbing ? "Scrubbing again… last scrub" : "Scrubbed"} at ${clock(shown.at)}: ${n === 0 ? "no broken ranges" : n === 1 ? "1 broken range" : `${n} broken ranges`}`;
  }

  return (
    <Modal wide title={`Scrub results of ${name}`} onClose={p.onClose} onSubmit={() => setAgain((n) => n + 1)} submitLabel="Scrub again" cancelLabel="Close"
      submitDisabled={scrubbing}
      description={`What an Address Range Scrub in ${name}'s running guest finds now, and the notifications its NVDIMM driver handled. It follows machine checks, attaches and detaches as they happen.`}>
      <p className="ars-summary" role="status" aria-live="polite" aria-busy={scrubbing}>{summary}</p>
      {shown && "error" in shown && <ErrorLine error={shown.error} />}
      {shown && "ars" in shown && (
        <>
          <Records d={p.domain} ars={shown.ars} />
          <Events ars={shown.ars} />
        </>
      )}
    </Modal>
  );
}
