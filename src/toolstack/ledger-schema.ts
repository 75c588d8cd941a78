// What the toolstack's ledger holds (domains, their extents, released
// extents), as zod schemas shared by the in-memory ledger, the snapshot file
// and the journal's records, and the ledger's error.
import { z } from "zod";
import { DOMID_FIRST_RESERVED } from "../hypervisor/index.js";

export const big = z.string().regex(/^\d+$/).transform((s) => BigInt(s));

/** One extent as the ledger stores it, and as the API returns it (every field is plain JSON). */
export const LedgerExtentSchema = z.object({
  /** Stable id within the domain (the config's id=, or vnvdimmN). */
  id: z.string(),
  slot: z.number().int().nonnegative(),
  smfn: z.number().int().nonnegative(),
  nrPages: z.number().int().positive(),
  nrLabelPages: z.number().int().nonnegative(),
  node: z.number().int().nonnegative(),
  unarmed: z.boolean(),
  /** The spec text this extent was made from, for `list` and recreate. */
  spec: z.string(),
  state: z.enum(["allocating", "held"]),
  /** Labels and info blocks were written once; a recreate never rewrites them. */
  provisioned: z.boolean(),
  txid: z.string(),
});

const domid = z.number().int().min(1).max(DOMID_FIRST_RESERVED - 1);

export const DomainSchema = z.object({
  name: z.string(),
  /**
   * Given at create and kept until delete, so a domain has the same domid at
   * every boot whatever the others do. Ledgers written before it get one on
   * read (see withDomids), kept from their next write on.
   */
  domid: domid.optional(),
  configText: z.string(),
  configFile: z.string().optional(),
  backend: z.enum(["builtin", "qemu"]),
  memoryMiB: z.number().int().positive(),
  status: z.enum(["running", "stopped"]),
  createdAt: z.string(),
  extents: z.array(LedgerExtentSchema),
});

/** A domain as the journal and the snapshot store it: its domid is always recorded. */
export const RecordedDomainSchema = DomainSchema.extend({ domid });

/**
 * An extent no domain owns any more whose pages are not yet free: it waits
 * for its scrub (a crash mid-delete leaves it here, and the next delete,
 * detach or reclaim finishes it), or its data was kept (`delete --keep-data`)
 * until `reclaim --scrub`.
 */
export const ReleasedExtentSchema = z.object({
  /** The domain and vNVDIMM it came from. */
  from: z.string(),
  id: z.string(),
  smfn: z.number().int().nonnegative(),
  nrPages: z.number().int().positive(),
  keep: z.boolean(),
  releasedAt: z.string(),
});

/**
 * The whole-file ledger.json of vnvdimm before the journal (version 1), and
 * the in-memory ledger: `generation` counts the mutations it has seen.
 */
export const LedgerSchema = z.object({
  version: z.literal(1), generation: big, domains: z.array(DomainSchema),
  released: z.array(ReleasedExtentSchema).default([]),
}).transform((l) => ({ ...l, domains: withDomids(l.domains) }));

type StoredDomain = z.output<typeof DomainSchema>;

/** The lowest domid no domain of the ledger has (domid 0 is the control domain's). */
export function freeDomid(domains: readonly { domid?: number | undefined }[]): number {
  const used = new Set(domains.map((d) => d.domid));
  let id = 1;
  while (used.has(id)) id++;
  return id;
}

/** Domains without a recorded domid (older ledgers) get the lowest free ones, in ledger order: the same on every read until written. */
function withDomids(domains: StoredDomain[]): (StoredDomain & { domid: number })[] {
  const out: (StoredDomain & { domid: number })[] = [];
  for (const d of domains) out.push({ ...d, domid: d.domid ?? freeDomid([...domains, ...out]) });
  return out;
}

export type LedgerExtent = z.output<typeof LedgerExtentSchema>;
export type LedgerDomain = Ledger["domains"][number];
export type Ledger = z.output<typeof LedgerSchema>;
export type ReleasedExtent = z.output<typeof ReleasedExtentSchema>;

export class LedgerError extends Error {
  constructor(readonly code: "ledger.corrupt" | "ledger.locked", message: string, readonly hint?: string) {
    super(message);
    this.name = "LedgerError";
  }
  toJSON(): object {
    return { error: this.code, message: this.message, ...(this.hint ? { hint: this.hint } : {}) };
  }
}

/** A ledger file that cannot be read: the media are the truth and untouched, so the way out is a backup. */
export function corrupt(path: string, why: string): LedgerError {
  return new LedgerError("ledger.corrupt", `Cannot read ${path}: ${why}`, "restore it from a backup; the media are untouched");
}

/** The first zod issue, as `path: message`. */
export function firstIssue(e: z.ZodError): string {
  const i = e.issues[0];
  return `${i?.path.join(".")}: ${i?.message}`;
}
