// Who holds pages that a media rewrite would destroy. `host init --force` and
// `pmem reserve --force` rewrite host media; a domain, running or stopped,
// keeps its data on its extents, and an extent kept by `delete --keep-data`
// is someone's data too. Those commands refuse while anything is held there.
import { PAGE_BYTES } from "../hypervisor/index.js";
import { ledgerExists, readLedger } from "./ledger.js";

const PAGE = BigInt(PAGE_BYTES);

export interface PageHolder {
  /** A domain name, or `from/id (kept)` for a released extent. */
  holder: string;
  smfn: number;
  nrPages: number;
}

/** Everything the ledger holds that overlaps SPA [spa, spa + sizeBytes); everything when no range is given. */
export function pageHolders(state: string, range?: { spa: bigint; sizeBytes: bigint }): PageHolder[] {
  if (!ledgerExists(state)) return [];
  const l = readLedger(state);
  const all: PageHolder[] = [
    ...l.domains.flatMap((d) => d.extents.map((e) => ({ holder: d.name, smfn: e.smfn, nrPages: e.nrPages }))),
    ...l.released.map((r) => ({ holder: `${r.from}/${r.id} (${r.keep ? "kept" : "awaiting its scrub"})`, smfn: r.smfn, nrPages: r.nrPages })),
  ];
  if (!range) return all;
  return all.filter((h) => BigInt(h.smfn) * PAGE < range.spa + range.sizeBytes && BigInt(h.smfn + h.nrPages) * PAGE > range.spa);
}

/** The holders' names, each once, for a refusal. */
export function holderNames(holders: readonly PageHolder[]): string {
  return [...new Set(holders.map((h) => h.holder))].join(", ");
}
