// An exclusive lock file holding the owner's pid, for async work that must
// not interleave (one agent request at a time per domain: the agent port is
// a single serial line). A lock whose owner is dead is taken over.
import { closeSync, openSync, readFileSync, unlinkSync, writeSync } from "node:fs";
import { setTimeout as sleep } from "node:timers/promises";

export class LockTimeoutError extends Error {
  constructor(readonly path: string, readonly holder: number) {
    super(`${path} is held by process ${holder}`);
    this.name = "LockTimeoutError";
  }
}

function alive(pid: number): boolean {
  try { process.kill(pid, 0); return true; } catch (e) { return (e as NodeJS.ErrnoException).code === "EPERM"; }
}

export async function withFileLock<T>(path: string, fn: () => Promise<T>, timeoutMs = 120_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      const fd = openSync(path, "wx");
      writeSync(fd, String(process.pid));
      closeSync(fd);
      break;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== "EEXIST") throw e;
      let holder = 0;
      try { holder = Number(readFileSync(path, "utf8")) || 0; } catch { continue; }
      if (!holder || !alive(holder)) { try { unlinkSync(path); } catch { /* someone else took it over */ } continue; }
      if (Date.now() > deadline) throw new LockTimeoutError(path, holder);
      await sleep(20);
    }
  }
  try { return await fn(); } finally { try { unlinkSync(path); } catch { /* gone already */ } }
}
