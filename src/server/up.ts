// `vnvdimm up`: the living host. Set up what is missing (bootstrap.ts), then
// serve the API and the dashboard on a TCP port and the CLI on the Unix
// socket `<state>/host.sock`, holding the host lock, until told to stop:
// SIGINT or SIGTERM, `vnvdimm host stop`, the state directory removed, or (a
// host started in the background on first use) no request for a while.
import { existsSync, mkdirSync, readFileSync, realpathSync, statSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import {
  LiveHost, UserError, daemonPaths, fsUserError, readDaemonInfo, removeDaemonInfo, tryHostLock, writeDaemonInfo, writeToken,
} from "../api/index.js";
import { bootstrap } from "./bootstrap.js";
import { isLoopback, startServer, type RunningServer } from "./http-server.js";
import { DEFAULT_WEB_DIR } from "./static-files.js";

export interface UpOptions {
  state: string;
  bind: string;
  port: number;
  init: boolean;
  demo: boolean;
  webDir?: string;
  /** The directory API clients may name image= files in; without it the API refuses image=. */
  imagesDir?: string;
  onProgress?: (done: number, total: number) => void;
  /** Started in the background by a CLI (on first use): it stops by itself after `idleSeconds` without a request. */
  background?: boolean;
  /** 0: never. */
  idleSeconds?: number;
}

/** Why a host stops by itself; a signal is the front end's business. */
export type StopReason = "host stop" | "idle" | "state directory removed";

export interface UpHandle {
  url: string;
  /** The URL with the token in its fragment, for a browser. */
  openUrl: string;
  token: string;
  server: RunningServer;
  /** The Unix socket the CLI reaches this host on; undefined where the state path is too long for one. */
  socket: string | undefined;
  /** Settles when the host asks to be stopped: `host stop`, idle, or its state directory gone. */
  stopRequested: Promise<StopReason>;
  /** Stops serving, removes daemon.json and the socket, and releases the host lock (idempotent). */
  stop(): Promise<void>;
}

/** Longest Unix socket path Linux takes (sun_path is 108 bytes with its NUL). */
const MAX_SOCKET_PATH_BYTES = 107;
/** How often the host looks for its state directory and counts its idle time. */
const WATCH_MS = 1000;

export const PACKAGE_VERSION: string = (() => {
  try {
    return (JSON.parse(readFileSync(fileURLToPath(new URL("../../../package.json", import.meta.url)), "utf8")) as { version: string }).version;
  } catch { return "0.0.0"; }
})();

/**
 * Takes the host lock, or refuses: one host per state directory. The lock
 * file needs the directory; one that is missing is made here only when up
 * is to create the host in it (--init), and otherwise bootstrap says so.
 */
function lockHost(o: UpOptions): { release(): void } {
  if (!existsSync(o.state)) {
    if (!o.init) return { release: () => undefined };
    try { mkdirSync(o.state, { recursive: true, mode: 0o700 }); } catch (e) { throw fsUserError(e) ?? e; }
  }
  let r: ReturnType<typeof tryHostLock>;
  try { r = tryHostLock(daemonPaths(o.state).lock); } catch (e) { throw fsUserError(e) ?? e; }
  if ("lock" in r) return r.lock;
  const info = readDaemonInfo(o.state);
  const pid = r.holder ?? info?.pid;
  const where = info && info.pid === pid ? ` at ${info.url}` : "";
  throw new UserError("conflict", `vnvdimm up is already serving ${o.state}${where} (pid ${pid ?? "unknown"})`,
    "stop it with `vnvdimm host stop`" + (pid ? ` (or kill ${pid})` : "") + ", or pass another --state", 1, "daemon.running");
}

/** The state directory's identity: a directory removed, or removed and made again, is another one. */
function dirId(state: string): string | undefined {
  try { const st = statSync(state); return `${st.dev}:${st.ino}`; } catch { return undefined; }
}

/** The images directory, resolved once (symlinks included), so that confinement checks compare real paths. */
function imagesDirOf(dir: string): string {
  let real: string;
  try { real = realpathSync(dir); } catch {
    throw new UserError("usage", `The images directory ${dir} does not exist`, "pass --images DIR naming a directory that holds the filesystem images", 2);
  }
  if (!statSync(real).isDirectory()) throw new UserError("usage", `The images directory ${dir} is not a directory`, "pass --images DIR naming a directory that holds the filesystem images", 2);
  return real;
}

export async function up(o: UpOptions, say: (line: string) => void, warn: (line: string) => void): Promise<UpHandle> {
  const imagesDir = o.imagesDir === undefined ? undefined : imagesDirOf(o.imagesDir);
  const lock = lockHost(o);
  try {
    return await serve(o, lock, imagesDir, say, warn);
  } catch (e) {
    lock.release();
    throw e;
  }
}

async function serve(o: UpOptions, lock: { release(): void }, imagesDir: string | undefined, say: (line: string) => void, warn: (line: string) => void): Promise<UpHandle> {
  await bootstrap({ state: o.state, init: o.init, demo: o.demo, ...(o.onProgress ? { onProgress: o.onProgress } : {}) }, say, warn);
  let token: string;
  try { token = writeToken(o.state); } catch (e) { throw fsUserError(e) ?? e; }
  const webDir = o.webDir ?? DEFAULT_WEB_DIR;
  const haveWeb = existsSync(join(webDir, "index.html"));
  if (!haveWeb) warn(`the dashboard is not built (no ${join(webDir, "index.html")}); the API works, and \`npm run build\` builds it`);
  // The living host: booted once, kept while this process serves the state directory.
  const live = LiveHost.boot(o.state);
  // A reservation that vanished while no host ran takes its domains' pages with it: say so before anything else.
  for (const l of live.toolstack.booted.lost) warn(`LOST RESERVATION ${l.uuid} on dimm handle 0x${l.handle.toString(16)}: ${l.found}; see \`vnvdimm host status\``);
  let requestStop!: (why: StopReason) => void;
  const stopRequested = new Promise<StopReason>((resolve) => { requestStop = resolve; });
  let socket: string | undefined = daemonPaths(o.state).socket;
  if (Buffer.byteLength(socket) > MAX_SOCKET_PATH_BYTES) {
    warn(`the state directory's path is too long for a Unix socket in it; the CLI reaches this host over ${o.bind} instead`);
    socket = undefined;
  }
  let server: RunningServer;
  try {
    server = await startServer({
      state: o.state, bind: o.bind, port: o.port, token, version: PACKAGE_VERSION, log: warn, live, ...(haveWeb ? { webDir } : {}), ...(imagesDir ? { imagesDir } : {}),
      ...(socket ? { socketPath: socket } : {}), stopHost: () => requestStop("host stop"), background: o.background === true,
    });
  } catch (e) {
    live.close();
    removeDaemonInfo(o.state, process.pid);
    const code = (e as NodeJS.ErrnoException).code;
    if (code === "EADDRINUSE") throw new UserError("conflict", `Port ${o.port} on ${o.bind} is in use`, "pass --port N, or --port 0 for any free port", 1, "port.in-use");
    if (code === "EADDRNOTAVAIL" || code === "ENOTFOUND") throw new UserError("usage", `Cannot listen on ${o.bind}: no such local address`, "pass --bind 127.0.0.1", 2);
    if (code === "EACCES") throw new UserError("usage", `Not allowed to listen on port ${o.port}`, "pick a port above 1023", 2);
    throw e;
  }
  if (!isLoopback(o.bind)) {
    warn(`LISTENING ON ${o.bind}, NOT LOOPBACK: anyone who can reach port ${server.port} can read this host's state, and the token travels in clear text over HTTP`);
  }
  writeDaemonInfo(o.state, { pid: process.pid, url: server.url, bind: o.bind, port: server.port, startedAt: new Date().toISOString() });
  // A host whose state directory is gone has nothing left to serve (a test's temp dir, removed); one
  // started in the background also goes when nobody has asked it anything for idleSeconds.
  const id = dirId(o.state);
  const idleMs = o.background ? (o.idleSeconds ?? 0) * 1000 : 0;
  const watch = setInterval(() => {
    if (dirId(o.state) !== id) requestStop("state directory removed");
    else if (idleMs > 0 && server.idleMs() >= idleMs) requestStop("idle");
  }, WATCH_MS);
  watch.unref();
  let stopped: Promise<void> | undefined;
  return {
    url: server.url,
    openUrl: `${server.url}#token=${token}`,
    token,
    server,
    socket,
    stopRequested,
    stop: () => (stopped ??= (async () => {
      clearInterval(watch);
      try {
        await server.close();
        live.close();
        removeDaemonInfo(o.state, process.pid);
      } finally {
        lock.release();
      }
    })()),
  };
}
