// The toolstack's ledger: which host extents belong to which domain name,
// persisted so that a recreate — even after a host reboot — maps the same
// pages, and crash-safe so that a kill -9 at any point never leaves an extent
// owned twice.
//
// Every change is one record appended to a journal and fsynced, compacted
// now and then into a snapshot (ledger-journal.ts; docs/ledger-journal.md).
// A ledger.json written before the journal is read as it is and converted on
// the first write. An allocation is recorded as "allocating" before anything
// is written to the media, and only becomes "held" when provisioning has
// finished; after a crash, "allocating" extents are orphans the user can
// reclaim or finish. Concurrent commands are serialised by an exclusive
// flock(2) lock.
import { dirname, join } from "node:path";
import { makePrivateDir } from "../host/index.js";
import { LockTimeoutError, acquireFileLockSync, type HeldLock } from "../media/index.js";
import { appendLedger, loadLedger } from "./ledger-journal.js";
import { LedgerError, type Ledger } from "./ledger-schema.js";

export {
  LedgerExtentSchema, ReleasedExtentSchema, LedgerError, freeDomid,
  type Ledger, type LedgerDomain, type LedgerExtent, type ReleasedExtent,
} from "./ledger-schema.js";
export { ledgerPath, journalPath, ledgerStamp, ledgerExists, compactLedger } from "./ledger-journal.js";
export { crashPoint } from "./crash-point.js";

const lockPath = (state: string) => join(state, "toolstack", "lock");
/** How long a command waits for another one to finish before it is refused. */
const LOCK_WAIT_MS = 60_000;

/**
 * The ledger: the snapshot plus the journal's whole records (a torn last one
 * is left out). A copy the caller may change. `fresh` ignores what this
 * process read before (for tests: what a restarted process reads).
 */
export function readLedger(state: string, o: { fresh?: boolean } = {}): Ledger {
  return loadLedger(state, o);
}

/**
 * Records the change from the ledger on disk to `l` as one fsynced journal
 * record (its `generation` is ignored: the journal numbers records itself);
 * a crash leaves either the old ledger or the new one. Call with the lock
 * held.
 */
export function writeLedger(state: string, l: Ledger): void {
  appendLedger(state, l);
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
