// A running domain's builtin guest: vnvdimm's device model with the probe
// guest behind it. For a qemu domain it is the same domain seen by the probe
// guest instead of by the real Linux (opts.probe): the same NFIT layout, the
// same label areas and pages, through vnvdimm's own model. A qemu domain's
// real guest is reached through qemuGuest.
import { readBadBlocks } from "../host/index.js";
import { startBuiltinDomain, type BuiltinDomain } from "../backends/index.js";
import { LifecycleError, openToolstack, refuseInterrupted, type Toolstack } from "./lifecycle.js";
import { lockLedger } from "./ledger.js";

export interface GuestSession {
  ts: Toolstack;
  domain: BuiltinDomain;
  domid: number;
  close(): void;
}

/**
 * Opens the guest of a running domain. The session holds the toolstack lock
 * until close(): a destroy, delete or create in between would hand its pages
 * to another domain while this P2M still maps them. `readOnly` for a session
 * that only reads (namespaces, read): the host media are opened read-only.
 */
export function openGuest(state: string, name: string, opts: { probe?: boolean; readOnly?: boolean } = {}): GuestSession {
  const lock = lockLedger(state, { readOnly: opts.readOnly ?? false });
  let ts: Toolstack;
  try { ts = openToolstack(state, { readOnly: opts.readOnly ?? false }); } catch (e) { lock.release(); throw e; }
  try {
    const d = ts.ledger.domains.find((x) => x.name === name);
    if (!d) throw new LifecycleError("domain.missing", `No domain named ${name}`, "see `vnvdimm list`", 2);
    refuseInterrupted(d);
    const run = ts.running.get(name);
    if (!run) throw new LifecycleError("domain.stopped", `Domain ${name} is not running`, `start it with \`vnvdimm create\``, 1);
    if (d.backend !== "builtin" && !opts.probe) throw new LifecycleError("domain.stopped", `Domain ${name} uses the ${d.backend} backend; its guest is a real Linux`, "ask it through the qemu guest agent (the `vnvdimm guest` verbs do), or pass --probe for vnvdimm's probe guest", 2);
    const domain = startBuiltinDomain({
      hv: ts.booted.hv, domid: run.domid, media: ts.booted.media, layout: run.layout,
      extents: run.extents.filter((e) => e.state === "held"),
      brokenMfns: () => readBadBlocks(state),
    });
    return { ts, domain, domid: run.domid, close: () => { ts.close(); lock.release(); } };
  } catch (e) {
    ts.close();
    lock.release();
    throw e;
  }
}
