// The toolstack's ledger: which host extents belong to which domain name,
// persisted so that a recreate — even after a host reboot — maps the same
// pages, and crash-safe so that a kill -9 at any point never leaves an extent
// owned twice.
//
// Every change is one atomic replace of ledger.json (write a temp file,
// fsync, rename, fsync the directory). An allocation is recorded as
// "allocating" before anything is written to the media, and only becomes
// "held" when provisioning has finished; after a crash, "allocating" extents
// are orphans the user can reclaim or finish. Concurrent commands are
// serialised by an exclusive flock(2) lock.
import { closeSync, existsSync, fsyncSync, openSync, readFileSync, renameSync, writeSync } from "node:fs";
import { dirname, join } from "node:path";
import { z } from "zod";
import { DOMID_FIRST_RESERVED } from "../hypervisor/index.js";
import { makePrivateDir } from "../host/index.js";
import { LockTimeoutError, acquireFileLockSync, type HeldLock } from "../media/index.js";

const big = z.string().regex(/^\d+$/).transform((s) => BigInt(s));

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

const DomainSchema = z.object({
  name: z.string(),
  /**
   * Given at create and kept until delete, so a domain has the same domid at
   * every boot whatever the others do. Ledgers written before it get one on
   * read (see withDomids), kept from their next write on.
   */
  domid: z.number().int().min(1).max(DOMID_FIRST_RESERVED - 1).optional(),
  configText: z.string(),
  configFile: z.string().optional(),
  backend: z.enum(["builtin", "qemu"]),
  memoryMiB: z.number().int().positive(),
  status: z.enum(["running", "stopped"]),
  createdAt: z.string(),
  extents: z.array(LedgerExtentSchema),
});

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

const LedgerSchema = z.object({
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

export const ledgerPath = (state: string) => join(state, "toolstack", "ledger.json");
const lockPath = (state: string) => join(state, "toolstack", "lock");
/** How long a command waits for another one to finish before it is refused. */
const LOCK_WAIT_MS = 60_000;

export function readLedger(state: string): Ledger {
  const p = ledgerPath(state);
  if (!existsSync(p)) return { version: 1, generation: 0n, domains: [], released: [] };
  let raw: unknown;
  try { raw = JSON.parse(readFileSync(p, "utf8")); } catch {
    throw new LedgerError("ledger.corrupt", `Cannot read ${p}: not JSON`, "restore it from a backup; the media are untouched");
  }
  const r = LedgerSchema.safeParse(raw);
  if (!r.success) throw new LedgerError("ledger.corrupt", `Cannot read ${p}: ${r.error.issues[0]?.path.join(".")}: ${r.error.issues[0]?.message}`, "restore it from a backup; the media are untouched");
  return r.data;
}

function fsyncDir(dir: string): void {
  const fd = openSync(dir, "r");
  try { fsyncSync(fd); } finally { closeSync(fd); }
}

/** Replaces the ledger atomically; a crash leaves either the old or the new one. */
export function writeLedger(state: string, l: Ledger): void {
  const p = ledgerPath(state);
  makePrivateDir(dirname(p));
  const tmp = `${p}.tmp-${process.pid}`;
  const text = JSON.stringify({ ...l, generation: l.generation + 1n }, (_k, v: unknown) => (typeof v === "bigint" ? v.toString() : v), 2) + "\n";
  const fd = openSync(tmp, "w", 0o600);
  try {
    writeSync(fd, text);
    fsyncSync(fd);
  } finally { closeSync(fd); }
  renameSync(tmp, p);
  fsyncDir(dirname(p));
}

/**
 * Takes the toolstack lock (flock(2): a killed holder's lock is gone with it)
 * until release(); for a session that spans several calls.
 */
export function lockLedger(state: string, o: { readOnly?: boolean } = {}): HeldLock {
  const p = lockPath(state);
  if (!o.readOnly) makePrivateDir(dirname(p));
  try {
    return acquireFileLockSync(p, LOCK_WAIT_MS, { readOnly: o.readOnly ?? false });
  } catch (e) {
    if (e instanceof LockTimeoutError) {
      throw new LedgerError("ledger.locked", `The toolstack state is locked by ${e.holder ? `process ${e.holder}` : "another process"}`, "wait for it to finish, or stop it");
    }
    throw e;
  }
}

/** Runs `fn` holding the toolstack lock. */
export function withLedgerLock<T>(state: string, fn: () => T): T {
  const lock = lockLedger(state);
  try { return fn(); } finally { lock.release(); }
}

/** Crash points for tests: VNVDIMM_CRASH_AT=<name> makes the process kill itself there. */
export function crashPoint(name: string): void {
  if (process.env["VNVDIMM_CRASH_AT"] === name) process.kill(process.pid, "SIGKILL");
}
