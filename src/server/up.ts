// `vnvdimm up`: set up what is missing (bootstrap.ts), then serve the API
// and the dashboard until SIGINT or SIGTERM, with `<state>/daemon.json`
// telling the CLI where to send its verbs meanwhile.
import { existsSync, readFileSync, realpathSync, statSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { LiveHost, UserError, fsUserError, pidAlive, readDaemonInfo, removeDaemonInfo, writeDaemonInfo, writeToken } from "../api/index.js";
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
}

export interface UpHandle {
  url: string;
  /** The URL with the token in its fragment, for a browser. */
  openUrl: string;
  token: string;
  server: RunningServer;
  /** Stops serving and removes daemon.json (idempotent). */
  stop(): Promise<void>;
}

export const PACKAGE_VERSION: string = (() => {
  try {
    return (JSON.parse(readFileSync(fileURLToPath(new URL("../../../package.json", import.meta.url)), "utf8")) as { version: string }).version;
  } catch { return "0.0.0"; }
})();

/** Refuses to start a second daemon on the same state; a record left by a dead one is ignored. */
async function checkNoDaemon(state: string): Promise<void> {
  const info = readDaemonInfo(state);
  if (!info || info.pid === process.pid || !pidAlive(info.pid)) return;
  try {
    const r = await fetch(new URL("api/health", info.url), { signal: AbortSignal.timeout(5000) });
    const h = (await r.json()) as { pid?: number };
    if (h.pid !== info.pid) return;
  } catch {
    return;
  }
  throw new UserError("conflict", `vnvdimm up is already serving ${state} at ${info.url} (pid ${info.pid})`, "stop it with Ctrl-C (or kill " + info.pid + "), or pass another --state", 1, "daemon.running");
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
  await checkNoDaemon(o.state);
  await bootstrap({ state: o.state, init: o.init, demo: o.demo, ...(o.onProgress ? { onProgress: o.onProgress } : {}) }, say, warn);
  let token: string;
  try { token = writeToken(o.state); } catch (e) { throw fsUserError(e) ?? e; }
  const webDir = o.webDir ?? DEFAULT_WEB_DIR;
  const haveWeb = existsSync(join(webDir, "index.html"));
  if (!haveWeb) warn(`the dashboard is not built (no ${join(webDir, "index.html")}); the API works, and \`npm run build\` builds it`);
  // The living host: booted once, kept while this process serves the state directory.
  const live = LiveHost.boot(o.state);
  let server: RunningServer;
  try {
    server = await startServer({
      state: o.state, bind: o.bind, port: o.port, token, version: PACKAGE_VERSION, log: warn, live, ...(haveWeb ? { webDir } : {}), ...(imagesDir ? { imagesDir } : {}),
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
  let stopped: Promise<void> | undefined;
  return {
    url: server.url,
    openUrl: `${server.url}#token=${token}`,
    token,
    server,
    stop: () => (stopped ??= server.close().then(() => { live.close(); removeDaemonInfo(o.state, process.pid); })),
  };
}
