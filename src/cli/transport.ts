// How a CLI verb reaches its route: through a running `vnvdimm up` for the
// same state directory when there is one (so the daemon stays the one
// writer and every dashboard sees the change), else in this process. Both
// paths validate with the route's schema and report the same errors.
import { realpathSync } from "node:fs";
import { request } from "node:http";
import {
  ROUTE_META, UserError, needsToken, parseJsonExact, pidAlive, readDaemonInfo, readToken, toJson, userErrorFromJson, type RouteId, type RouteMeta,
} from "../api/client.js";
import type { AnyRoute, RouteInput, RouteOutput } from "../api/index.js";

export interface Daemon { url: string; token: string | undefined; pid: number }

function sameDir(a: string, b: string): boolean {
  try { return realpathSync(a) === realpathSync(b); } catch { return a === b; }
}

interface Answer { status: number; statusText: string; text: string }

/**
 * One HTTP exchange with the daemon. node:http, not fetch: a process's first
 * fetch loads undici, which costs a CLI verb more than the rest of its start-up.
 */
function exchange(url: URL, o: { method: string; headers?: Record<string, string>; body?: string; timeoutMs?: number }): Promise<Answer> {
  return new Promise((resolve, reject) => {
    let timer: NodeJS.Timeout | undefined;
    const fail = (e: Error) => { clearTimeout(timer); reject(e); };
    const headers = { ...o.headers, ...(o.body !== undefined ? { "Content-Length": String(Buffer.byteLength(o.body)) } : {}) };
    const req = request(url, { method: o.method, headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (c: Buffer) => chunks.push(c));
      res.on("error", fail);
      res.on("close", () => { if (!res.complete) fail(new Error("the connection closed before the whole answer came")); });
      res.on("end", () => {
        clearTimeout(timer);
        resolve({ status: res.statusCode ?? 0, statusText: res.statusMessage ?? "", text: Buffer.concat(chunks).toString("utf8") });
      });
    });
    req.on("error", fail);
    if (o.timeoutMs !== undefined) timer = setTimeout(() => req.destroy(new Error(`no answer in ${o.timeoutMs} ms`)), o.timeoutMs);
    req.end(o.body);
  });
}

/** The daemon serving `state`, if one is alive and answers as itself. */
export async function findDaemon(state: string): Promise<Daemon | undefined> {
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
  return { url: info.url, token: readToken(state), pid: info.pid };
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

async function viaDaemon(d: Daemon, r: RouteMeta, input: Record<string, unknown>): Promise<unknown> {
  const { path, rest } = fill(r.path, input);
  const url = new URL(path.replace(/^\//, ""), d.url);
  const headers: Record<string, string> = {};
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
    res = await exchange(url, { method: r.method, headers, ...(body !== undefined ? { body } : {}) });
  } catch (e) {
    throw new UserError("io", `The daemon at ${d.url} (pid ${d.pid}) went away: ${(e as Error).message}`, "run the command again; without a daemon it acts on the state directory", 2, "daemon.gone");
  }
  let answer: unknown;
  try { answer = parseJsonExact(res.text); } catch { answer = undefined; }
  if (res.status >= 200 && res.status < 300) return answer;
  if (res.status === 500) throw new Error((answer as { message?: string } | undefined)?.message ?? `the daemon answered ${res.status}`);
  throw userErrorFromJson(answer) ?? new UserError("io", `The daemon answered ${res.status} ${res.statusText}`, undefined, 2);
}

export interface CallOptions {
  state: string;
  onProgress?: (label: string, done: number, total: number) => void;
}

/**
 * Runs a route through the daemon when one serves `state`, else here. The
 * daemon validates the input; only the route's own run loads its schema,
 * its command and the toolstack.
 */
export async function call<K extends RouteId>(id: K, input: RouteInput<K>, o: CallOptions): Promise<RouteOutput<K>> {
  const d = await findDaemon(o.state);
  if (d) return await viaDaemon(d, ROUTE_META[id], input as Record<string, unknown>) as RouteOutput<K>;
  const { routeById, runRoute } = await import("../api/index.js");
  const r = routeById(id) as unknown as AnyRoute;
  // In this process the CLI reads image= files as its own user, like any other file it is given.
  return await runRoute(r, input, { state: o.state, images: "any", ...(o.onProgress ? { onProgress: o.onProgress } : {}) }) as RouteOutput<K>;
}
