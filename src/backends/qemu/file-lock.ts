// An exclusive lock file holding its owner's pid. A lock whose owner is dead
// is taken over. tryPidLock is one attempt; the toolstack's ledger lock waits
// on it synchronously, withFileLock asynchronously (one agent request at a
// time per domain: the agent port is a single serial line).
import { closeSync, openSync, readFileSync, unlinkSync, writeSync } from "node:fs";
import { setTimeout as sleep } from "node:timers/promises";

export class LockTimeoutError extends Error {
  constructor(readonly path: string, readonly holder: number) {
    super(`${path} is held by process ${holder}`);
    this.name = "LockTimeoutError";
  }
}

export function pidAlive(pid: number): boolean {
  try { process.kill(pid, 0); return true; } catch (e) { return (e as NodeJS.ErrnoException).code === "EPERM"; }
}

/** Takes the lock, or says which live process holds it. */
export function tryPidLock(path: string): { taken: true } | { taken: false; holder: number } {
  for (;;) {
    try {
      const fd = openSync(path, "wx");
      writeSync(fd, String(process.pid));
      closeSync(fd);
      return { taken: true };
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== "EEXIST") throw e;
      let holder = 0;
      try { holder = Number(readFileSync(path, "utf8")) || 0; } catch { continue; }
      if (holder && pidAlive(holder)) return { taken: false, holder };
      try { unlinkSync(path); } catch { /* another taker won */ }
    }
  }
}

export function releasePidLock(path: string): void {
  try { unlinkSync(path); } catch { /* already gone */ }
}

export async function withFileLock<T>(path: string, fn: () => Promise<T>, timeoutMs = 120_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (let r = tryPidLock(path); !r.taken; r = tryPidLock(path)) {
    if (Date.now() > deadline) throw new LockTimeoutError(path, r.holder);
    await sleep(20);
  }
  try { return await fn(); } finally { releasePidLock(path); }
}
