// How a CLI verb reaches its route: through the living host for the same
// state directory (`vnvdimm up`), over its Unix socket, so the host stays the
// one writer and every dashboard sees the change. When none runs, the verb
// starts one in the background first (autostart.ts), as gpg starts its agent;
// where it may not (VNVDIMM_NO_AUTOSTART, a directory this user cannot write,
// no host there yet) it runs in this process. Both paths validate with the
// route's schema and report the same errors.
import { accessSync, constants, existsSync, realpathSync } from "node:fs";
import { request, type IncomingMessage } from "node:http";
import {
  ROUTE_META, UserError, daemonPaths, needsToken, parseJsonExact, pidAlive, readDaemonInfo, readToken, toJson, userErrorFromJson, type RouteId, type RouteMeta,
} from "../api/client.js";
import type { AnyRoute, RouteInput, RouteOutput } from "../api/index.js";
import { hostPaths } from "../host/state-dir.js";

export interface Daemon {
  /** Its TCP address (API and dashboard), for messages. */
  url: string;
  /** Its Unix socket, where the CLI sends its verbs; none when the state path is too long for one (then `url`). */
  socket: string | undefined;
  token: string | undefined;
  pid: number;
  /** Started by a CLI on first use, not by a user's `vnvdimm up`. */
  background: boolean;
}

/** Longest Unix socket path Linux takes (sun_path is 108 bytes with its NUL); the host serves no socket beyond it. */
const MAX_SOCKET_PATH_BYTES = 107;

/** Where the host for `state` listens for the CLI, or undefined when the path is too long for a Unix socket. */
export function hostSocket(state: string): string | undefined {
  const p = daemonPaths(state).socket;
  return Buffer.byteLength(p) <= MAX_SOCKET_PATH_BYTES ? p : undefined;
}

function sameDir(a: string, b: string): boolean {
  try { return realpathSync(a) === realpathSync(b); } catch { return a === b; }
}

interface Answer { status: number; statusText: string; text: string }

/**
 * One HTTP exchange with the daemon. node:http, not fetch: a process's first
 * fetch loads undici, which costs a CLI verb more than the rest of its start-up.
 */
function exchange(url: URL, o: { method: string; socket?: string | undefined; headers?: Record<string, string>; body?: string; timeoutMs?: number }): Promise<Answer> {
  return new Promise((resolve, reject) => {
    let timer: NodeJS.Timeout | undefined;
    const fail = (e: Error) => { clearTimeout(timer); reject(e); };
    const headers = { ...o.headers, ...(o.body !== undefined ? { "Content-Length": String(Buffer.byteLength(o.body)) } : {}) };
    const onAnswer = (res: IncomingMessage) => {
      const chunks: Buffer[] = [];
      res.on("data", (c: Buffer) => chunks.push(c));
      res.on("error", fail);
      res.on("close", () => { if (!res.complete) fail(new Error("the connection closed before the whole answer came")); });
      res.on("end", () => {
        clearTimeout(timer);
        resolve({ status: res.statusCode ?? 0, statusText: res.statusMessage ?? "", text: Buffer.concat(chunks).toString("utf8") });
      });
    };
    const req = o.socket
      ? request({ socketPath: o.socket, path: url.pathname + url.search, method: o.method, headers }, onAnswer)
      : request(url, { method: o.method, headers }, onAnswer);
    req.on("error", fail);
    if (o.timeoutMs !== undefined) timer = setTimeout(() => req.destroy(new Error(`no answer in ${o.timeoutMs} ms`)), o.timeoutMs);
    req.end(o.body);
  });
}

/** Nobody listens at the socket: no host, or a socket file a killed one left; or this user may not reach it (a read-only look at another's directory). */
const NO_HOST = new Set(["ENOENT", "ECONNREFUSED", "ENOTDIR", "EACCES", "EPERM"]);

/** The host serving `state`, if one is alive and answers as itself. */
export async function findDaemon(state: string): Promise<Daemon | undefined> {
  const socket = hostSocket(state);
  if (!socket) return await findDaemonByRecord(state);
  let health: { pid?: number; state?: string; url?: string; background?: boolean };
  try {
    const r = await exchange(new URL("http://localhost/api/health"), { method: "GET", socket, timeoutMs: 15_000 });
    health = JSON.parse(r.text) as typeof health;
  } catch (e) {
    if (NO_HOST.has((e as NodeJS.ErrnoException).code ?? "")) return undefined;
    throw new UserError("conflict", `The host for ${state} (${socket}) does not answer`, "wait for it, or stop it (`vnvdimm host stop`) and run the command again", 1, "daemon.unresponsive");
  }
  if (typeof health.pid !== "number" || health.pid === process.pid || !health.state || !sameDir(health.state, state)) return undefined;
  return { url: health.url ?? "", socket, token: readToken(state), pid: health.pid, background: health.background === true };
}

/** A host whose state path is too long for a socket is found through its record, over TCP. */
async function findDaemonByRecord(state: string): Promise<Daemon | undefined> {
  const info = readDaemonInfo(state);
  if (!info || info.pid === process.pid || !pidAlive(info.pid)) return undefined;
  let health: { pid?: number; state?: string };
  try {
    const r = await exchange(new URL("api/health", info.url), { method: "GET", timeoutMs: 15_000 });
    health = JSON.parse(r.text) as typeof health;
  } catch (e) {
    // Nothing listens there: the record outlived its daemon (and the pid was reused).
    if ((e as NodeJS.ErrnoException).code === "ECONNREFUSED") return undefined;
    throw new UserError("conflict", `The daemon for ${state} (pid ${info.pid}, ${info.url}) does not answer`, "wait for it, or stop it and run the command again", 1, "daemon.unresponsive");
  }
  if (health.pid !== info.pid || !health.state || !sameDir(health.state, state)) return undefined;
  return { url: info.url, socket: undefined, token: readToken(state), pid: info.pid, background: false };
}

function fill(path: string, input: Record<string, unknown>): { path: string; rest: Record<string, unknown> } {
  const rest = { ...input };
  const filled = path.replace(/\{(\w+)\}/g, (_m, n: string) => {
    const v = rest[n];
    delete rest[n];
    return encodeURIComponent(String(v ?? ""));
  });
  return { path: filled, rest };
}

/** Sends a route's input to the host and returns its answer, or throws its error as this process would have. */
export async function viaDaemon(d: Daemon, r: RouteMeta, input: Record<string, unknown>): Promise<unknown> {
  const { path, rest } = fill(r.path, input);
  const url = new URL(path.replace(/^\//, ""), d.socket ? "http://localhost/" : d.url);
  // On the socket the host reads image= files for this user (only the host's own user can connect): relative to this directory.
  const headers: Record<string, string> = d.socket ? { "X-Vnvdimm-Cwd": encodeURIComponent(process.cwd()) } : {};
  if (needsToken(r)) {
    if (!d.token) throw new UserError("io", `Cannot read the daemon's token file in the state directory`, "run as the user who ran `vnvdimm up`", 2, "token.unreadable");
    headers["Authorization"] = `Bearer ${d.token}`;
  }
  let body: string | undefined;
  if (r.method === "GET") {
    for (const [k, v] of Object.entries(rest)) if (v !== undefined) url.searchParams.set(k, String(v));
  } else {
    headers["Content-Type"] = "application/json";
    body = toJson(rest, 0);
  }
  let res: Answer;
  try {
    res = await exchange(url, { method: r.method, socket: d.socket, headers, ...(body !== undefined ? { body } : {}) });
  } catch (e) {
    throw new UserError("io", `The host at ${d.socket ?? d.url} (pid ${d.pid}) went away: ${(e as Error).message}`, "run the command again; it starts a new host", 2, "daemon.gone");
  }
  let answer: unknown;
  try { answer = parseJsonExact(res.text); } catch { answer = undefined; }
  if (res.status >= 200 && res.status < 300) return answer;
  if (res.status === 500) throw new Error((answer as { message?: string } | undefined)?.message ?? `the daemon answered ${res.status}`);
  throw userErrorFromJson(answer) ?? new UserError("io", `The daemon answered ${res.status} ${res.statusText}`, undefined, 2);
}

/** Stops the host `d` for `state` and waits until it has (stop-host.ts, loaded only now). */
export async function stopHost(state: string, d: Daemon): Promise<void> {
  const { stopHostWith } = await import("./stop-host.js");
  await stopHostWith(state, d, { viaDaemon, UserError, daemonPaths, ROUTE_META });
}

export interface CallOptions {
  state: string;
  onProgress?: (label: string, done: number, total: number) => void;
  /** Start a host when none runs; default: unless $VNVDIMM_NO_AUTOSTART is set (to anything but "" or "0"). */
  autostart?: boolean;
}

/** The escape hatch: a script or test that must not start a host sets VNVDIMM_NO_AUTOSTART=1 and gets the verb run in its own process. */
export function autostartByDefault(env: NodeJS.ProcessEnv = process.env): boolean {
  const v = env["VNVDIMM_NO_AUTOSTART"];
  return v === undefined || v === "" || v === "0";
}

/**
 * Whether a verb that found no host starts one: there must be a host to
 * serve (`host init` made one), a socket path that fits, and a directory this
 * user can write. A read-only one is read in this process, as it always was.
 */
function mayStartHost(state: string): boolean {
  if (!hostSocket(state) || !existsSync(hostPaths(state).spec)) return false;
  try { accessSync(state, constants.W_OK); return true; } catch { return false; }
}

/**
 * Runs a route through the host serving `state`, starting one first when
 * none runs and that is allowed, else here. The host validates the input;
 * only the route's own run loads its schema, its command and the toolstack.
 */
export async function call<K extends RouteId>(id: K, input: RouteInput<K>, o: CallOptions): Promise<RouteOutput<K>> {
  let d = await findDaemon(o.state);
  if (!d && (o.autostart ?? autostartByDefault()) && mayStartHost(o.state)) {
    const { startHost } = await import("./autostart.js");
    d = await startHost(o.state, { findDaemon, UserError, daemonPaths });
  }
  if (d) return await viaDaemon(d, ROUTE_META[id], input as Record<string, unknown>) as RouteOutput<K>;
  const { routeById, runRoute } = await import("../api/index.js");
  const r = routeById(id) as unknown as AnyRoute;
  // In this process the CLI reads image= files as its own user, like any other file it is given.
  return await runRoute(r, input, { state: o.state, images: "any", ...(o.onProgress ? { onProgress: o.onProgress } : {}) }) as RouteOutput<K>;
}
