// An exclusive lock on a file, held with flock(2). The kernel drops it when
// its holder exits or is killed, so there is never a stale lock to detect or
// break. A pid file cannot give that without a race: a reader that sees a
// half-written or dead holder and removes the file can remove a live lock
// (two `create`s then got the same pages). The lock file is never unlinked,
// for the same reason; the holder's pid is written into it only so that a
// refusal can name the holder.
import { closeSync, ftruncateSync, openSync, readFileSync, writeSync } from "node:fs";
import { setTimeout as sleep } from "node:timers/promises";
import fsExt from "fs-ext";

export class LockTimeoutError extends Error {
  constructor(readonly path: string, readonly holder: number | undefined) {
    super(`${path} is held by ${holder ? `process ${holder}` : "another process"}`);
    this.name = "LockTimeoutError";
  }
}

/** A held lock; release() is idempotent. */
export interface HeldLock { release(): void }

function busy(e: unknown): boolean {
  const code = (e as NodeJS.ErrnoException).code;
  return code === "EAGAIN" || code === "EWOULDBLOCK";
}

const NO_LOCK: HeldLock = { release: () => undefined };

/**
 * One attempt: the lock, or undefined while another open file holds it.
 * `readOnly` is for a reader that may not write the directory: flock(2) needs
 * no write access, so the file is opened read-only, and where it does not
 * exist no writer ever ran and there is nothing to wait for.
 */
export function tryFileLock(path: string, o: { readOnly?: boolean } = {}): HeldLock | undefined {
  let fd: number;
  try {
    fd = openSync(path, o.readOnly ? "r" : "a+", 0o600);
  } catch (e) {
    if (o.readOnly && (e as NodeJS.ErrnoException).code === "ENOENT") return NO_LOCK;
    throw e;
  }
  try {
    fsExt.flockSync(fd, "exnb");
  } catch (e) {
    closeSync(fd);
    if (busy(e)) return undefined;
    throw e;
  }
  if (!o.readOnly) {
    ftruncateSync(fd, 0);
    writeSync(fd, String(process.pid));
  }
  let open = true;
  return { release: () => { if (open) { open = false; closeSync(fd); } } };
}

/** The pid the current holder wrote, if it can be read; for messages only. */
export function lockHolder(path: string): number | undefined {
  try { return Number(readFileSync(path, "utf8")) || undefined; } catch { return undefined; }
}

const waitSync = (ms: number) => Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);

/** Takes the lock, waiting for it synchronously up to `timeoutMs`. */
export function acquireFileLockSync(path: string, timeoutMs: number, o: { readOnly?: boolean } = {}): HeldLock {
  const deadline = Date.now() + timeoutMs;
  let lock: HeldLock | undefined;
  while (!(lock = tryFileLock(path, o))) {
    if (Date.now() > deadline) throw new LockTimeoutError(path, lockHolder(path));
    waitSync(5);
  }
  return lock;
}

/** Runs `fn` holding the lock, waiting for it synchronously up to `timeoutMs`. */
export function withFileLockSync<T>(path: string, fn: () => T, timeoutMs: number): T {
  const lock = acquireFileLockSync(path, timeoutMs);
  try { return fn(); } finally { lock.release(); }
}

/** Runs `fn` holding the lock, waiting for it without blocking the event loop. */
export async function withFileLock<T>(path: string, fn: () => Promise<T>, timeoutMs = 120_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let lock: HeldLock | undefined;
  while (!(lock = tryFileLock(path))) {
    if (Date.now() > deadline) throw new LockTimeoutError(path, lockHolder(path));
    await sleep(20);
  }
  try { return await fn(); } finally { lock.release(); }
}
