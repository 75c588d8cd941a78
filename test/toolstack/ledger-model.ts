// A deterministic sequence of ledger mutations, shaped like the toolstack's
// (create, stop, delete into the released list, scrub out of it, attach),
// for the journal's crash and power-fail tests: step i applied to the ledger
// after steps 0..i-1 gives the same ledger in every process.
import type { Ledger, LedgerDomain, LedgerExtent } from "../../src/toolstack/index.js";

export function extentAt(i: number, slot = 0): LedgerExtent {
  return {
    id: `vnvdimm${slot}`, slot, smfn: 0x100000 + i * 0x1000 + slot * 0x400, nrPages: 0x400, nrLabelPages: 32, node: 0, unarmed: false,
    spec: "size=4M, label_size=128K", state: "held", provisioned: true, txid: `tx-${i}-${slot}`,
  };
}

export function domainAt(i: number, domid: number, name = `d${i}`): LedgerDomain {
  return {
    name, domid, configText: `name = "d${i}"\nmemory = 64\nvnvdimms = [ 'size=4M' ]\n`, backend: "builtin", memoryMiB: 64,
    status: "running", createdAt: `2024-01-01T00:00:${String(i % 60).padStart(2, "0")}.000Z`, extents: [extentAt(i)],
  };
}

const free = (l: Ledger) => { const used = new Set(l.domains.map((d) => d.domid)); let id = 1; while (used.has(id)) id++; return id; };
/** A new domain for step i, named d<i> (d<i>.1, … when a step with the same i made one already). */
function newDomain(l: Ledger, i: number): LedgerDomain {
  const names = new Set(l.domains.map((d) => d.name));
  let name = `d${i}`;
  for (let k = 1; names.has(name); k++) name = `d${i}.${k}`;
  return domainAt(i, free(l), name);
}

/** Step i: a change to `l` (a copy; `l` is not touched). Every step changes something, most more than one thing at once. */
export function step(l0: Ledger, i: number): Ledger {
  const l: Ledger = structuredClone(l0);
  const pick = l.domains.length ? l.domains[i % l.domains.length]! : undefined;
  switch (i % 5) {
    case 0: case 3:
      l.domains.push(newDomain(l, i));
      break;
    case 1:
      if (!pick) { l.domains.push(newDomain(l, i)); break; }
      // Attach and stop in one mutation: both or neither must be there after a crash.
      pick.extents.push(extentAt(i, pick.extents.length));
      pick.status = pick.status === "running" ? "stopped" : "running";
      break;
    case 2:
      if (!pick) { l.domains.push(newDomain(l, i)); break; }
      // Delete: the domain leaves and its extents join the released list in one mutation.
      l.domains = l.domains.filter((d) => d !== pick);
      l.released.push(...pick.extents.map((e) => ({ from: pick.name, id: e.id, smfn: e.smfn, nrPages: e.nrPages, keep: i % 2 === 0, releasedAt: "2024-01-02T00:00:00.000Z" })));
      break;
    case 4:
      if (l.released.length) l.released = l.released.slice(1);
      else l.domains.push(newDomain(l, i));
      break;
  }
  return l;
}

/** What must survive: everything but the generation, which counts records. */
export const content = (l: Ledger) => ({ domains: l.domains, released: l.released });

/** The ledgers after 0, 1, … n steps from `base`. */
export function references(base: Ledger, n: number): Ledger[] {
  const out = [base];
  for (let i = 0; i < n; i++) out.push(step(out[i]!, i));
  return out;
}
