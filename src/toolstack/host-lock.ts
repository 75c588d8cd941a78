// One living host per state directory. The host holds an exclusive flock(2)
// on its lock file for as long as it runs, so the kernel releases it however
// the host ends (a kill -9 included) and a second host can never start beside
// it. A CLI that starts a host in the background holds a second lock while it
// does, so that of many CLIs finding no host at once, one starts it and the
// others wait for it and then use it.
import { lockHolder, tryFileLock, withFileLock, type HeldLock } from "../media/index.js";

/** The host lock, or undefined with the pid of the host that holds it. */
export function tryHostLock(path: string): { lock: HeldLock } | { holder: number | undefined } {
  const lock = tryFileLock(path);
  return lock ? { lock } : { holder: lockHolder(path) };
}

/** Runs `fn` holding the start lock, waiting for it without blocking the event loop. */
export function withStartLock<T>(path: string, fn: () => Promise<T>, timeoutMs: number): Promise<T> {
  return withFileLock(path, fn, timeoutMs);
}
