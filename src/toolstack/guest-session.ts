// A running domain's guest, whatever the backend: for builtin, vnvdimm's
// device model with the probe guest behind it.
import { readBadBlocks } from "../host/index.js";
import { startBuiltinDomain, type BuiltinDomain } from "../backends/index.js";
import { LifecycleError, openToolstack, type Toolstack } from "./lifecycle.js";

export interface GuestSession {
  ts: Toolstack;
  domain: BuiltinDomain;
  domid: number;
  close(): void;
}

export function openGuest(state: string, name: string): GuestSession {
  const ts = openToolstack(state);
  try {
    const d = ts.ledger.domains.find((x) => x.name === name);
    if (!d) throw new LifecycleError("domain.missing", `No domain named ${name}`, "see `vnvdimm list`", 2);
    const run = ts.running.get(name);
    if (!run) throw new LifecycleError("domain.stopped", `Domain ${name} is not running`, `start it with \`vnvdimm create\``, 1);
    if (d.backend !== "builtin") throw new LifecycleError("domain.stopped", `Domain ${name} uses the ${d.backend} backend, which is not available yet`, undefined, 2);
    const domain = startBuiltinDomain({
      hv: ts.booted.hv, domid: run.domid, media: ts.booted.media, layout: run.layout,
      extents: run.extents.filter((e) => e.state === "held"),
      brokenMfns: () => readBadBlocks(state),
    });
    return { ts, domain, domid: run.domid, close: () => ts.close() };
  } catch (e) {
    ts.close();
    throw e;
  }
}
