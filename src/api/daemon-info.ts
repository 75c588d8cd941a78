// Where a running `vnvdimm up` (the living host) says it is: `<state>/daemon.json`
// (its pid and URL), `<state>/api-token` (mode 0600, the bearer token that
// every mutating call must carry) and `<state>/host.sock` (mode 0600, the
// Unix socket the CLI sends its verbs to). `host.lock` is held (flock) by the
// host for as long as it runs, `host-start.lock` by a CLI while it starts one,
// and a host started in the background writes its output to `host.log`.
import { chmodSync, closeSync, existsSync, fsyncSync, openSync, readFileSync, renameSync, unlinkSync, writeSync } from "node:fs";
import { join } from "node:path";

export const daemonPaths = (state: string) => ({
  info: join(state, "daemon.json"), token: join(state, "api-token"), socket: join(state, "host.sock"),
  lock: join(state, "host.lock"), startLock: join(state, "host-start.lock"), log: join(state, "host.log"),
});

export interface DaemonInfo { pid: number; url: string; bind: string; port: number; startedAt: string }

/**
 * The record's fields, checked by hand rather than with zod: the CLI reads
 * it before every verb, and zod's schemas cost more to load than the call.
 */
function asDaemonInfo(v: unknown): DaemonInfo | undefined {
  if (typeof v !== "object" || v === null || Array.isArray(v)) return undefined;
  const o = v as Record<string, unknown>;
  const { pid, url, bind, port, startedAt } = o;
  if (typeof pid !== "number" || !Number.isSafeInteger(pid) || pid <= 0) return undefined;
  if (typeof url !== "string" || !URL.canParse(url.trim())) return undefined;
  if (typeof bind !== "string" || typeof startedAt !== "string") return undefined;
  if (typeof port !== "number" || !Number.isSafeInteger(port) || port < 0) return undefined;
  return { pid, url: url.trim(), bind, port, startedAt };
}

/** The daemon record, or undefined when there is none or it is unreadable (a half-written file is no daemon). */
export function readDaemonInfo(state: string): DaemonInfo | undefined {
  const p = daemonPaths(state).info;
  if (!existsSync(p)) return undefined;
  try {
    return asDaemonInfo(JSON.parse(readFileSync(p, "utf8")));
  } catch {
    return undefined;
  }
}

function writePrivate(path: string, text: string): void {
  const tmp = `${path}.tmp-${process.pid}`;
  const fd = openSync(tmp, "w", 0o600);
  try {
    writeSync(fd, text);
    fsyncSync(fd);
  } finally { closeSync(fd); }
  // The mode given to open() is masked by the umask and ignored for an existing file.
  chmodSync(tmp, 0o600);
  renameSync(tmp, path);
}

export function writeDaemonInfo(state: string, info: DaemonInfo): void {
  writePrivate(daemonPaths(state).info, JSON.stringify(info, null, 2) + "\n");
}

/** Removes the daemon record if it is this process's (a newer daemon's record is left alone). */
export function removeDaemonInfo(state: string, pid: number): void {
  const cur = readDaemonInfo(state);
  if (cur && cur.pid !== pid) return;
  for (const p of [daemonPaths(state).info, daemonPaths(state).token]) {
    try { unlinkSync(p); } catch { /* already gone */ }
  }
}

/**
 * A fresh random token, written with mode 0600. Web Crypto's CSPRNG, the
 * same as randomBytes: importing node:crypto would load all of it into
 * every CLI process, which reads this module at start-up.
 */
export function writeToken(state: string): string {
  const token = Buffer.from(globalThis.crypto.getRandomValues(new Uint8Array(24))).toString("base64url");
  writePrivate(daemonPaths(state).token, token + "\n");
  return token;
}

export function readToken(state: string): string | undefined {
  try { return readFileSync(daemonPaths(state).token, "utf8").trim() || undefined; } catch { return undefined; }
}

export function pidAlive(pid: number): boolean {
  try { process.kill(pid, 0); return true; } catch (e) { return (e as NodeJS.ErrnoException).code === "EPERM"; }
}
