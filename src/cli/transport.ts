// How a CLI verb reaches its route: through a running `vnvdimm up` for the
// same state directory when there is one (so the daemon stays the one
// writer and every dashboard sees the change), else in this process. Both
// paths validate with the route's schema and report the same errors.
import { realpathSync } from "node:fs";
import {
  UserError, needsToken, parseJsonExact, pidAlive, readDaemonInfo, readToken, routeById, runRoute, toJson, userErrorFromJson,
  type AnyRoute, type RouteId, type RouteInput, type RouteOutput,
} from "../api/index.js";

export interface Daemon { url: string; token: string | undefined; pid: number }

function sameDir(a: string, b: string): boolean {
  try { return realpathSync(a) === realpathSync(b); } catch { return a === b; }
}

/** The daemon serving `state`, if one is alive and answers as itself. */
export async function findDaemon(state: string): Promise<Daemon | undefined> {
  const info = readDaemonInfo(state);
  if (!info || info.pid === process.pid || !pidAlive(info.pid)) return undefined;
  let health: { pid?: number; state?: string };
  try {
    const r = await fetch(new URL("api/health", info.url), { signal: AbortSignal.timeout(15_000) });
    health = (await r.json()) as typeof health;
  } catch (e) {
    const cause = (e as { cause?: { code?: string } }).cause?.code;
    // Nothing listens there: the record outlived its daemon (and the pid was reused).
    if (cause === "ECONNREFUSED") return undefined;
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

async function viaDaemon(d: Daemon, r: AnyRoute, input: Record<string, unknown>): Promise<unknown> {
  const { path, rest } = fill(r.path, input);
  const url = new URL(path.replace(/^\//, ""), d.url);
  const headers: Record<string, string> = {};
  if (needsToken(r)) {
    if (!d.token) throw new UserError("io", `Cannot read the daemon's token file in the state directory`, "run as the user who ran `vnvdimm up`", 2, "token.unreadable");
    headers["Authorization"] = `Bearer ${d.token}`;
  }
  const init: RequestInit = { method: r.method, headers };
  if (r.method === "GET") {
    for (const [k, v] of Object.entries(rest)) if (v !== undefined) url.searchParams.set(k, String(v));
  } else {
    headers["Content-Type"] = "application/json";
    init.body = toJson(rest, 0);
  }
  let res: Response;
  let text: string;
  try {
    res = await fetch(url, init);
    text = await res.text();
  } catch (e) {
    throw new UserError("io", `The daemon at ${d.url} (pid ${d.pid}) went away: ${(e as Error).message}`, "run the command again; without a daemon it acts on the state directory", 2, "daemon.gone");
  }
  let body: unknown;
  try { body = parseJsonExact(text); } catch { body = undefined; }
  if (res.ok) return body;
  if (res.status === 500) throw new Error((body as { message?: string } | undefined)?.message ?? `the daemon answered ${res.status}`);
  throw userErrorFromJson(body) ?? new UserError("io", `The daemon answered ${res.status} ${res.statusText}`, undefined, 2);
}

export interface CallOptions {
  state: string;
  onProgress?: (label: string, done: number, total: number) => void;
}

/** Runs a route through the daemon when one serves `state`, else here. */
export async function call<K extends RouteId>(id: K, input: RouteInput<K>, o: CallOptions): Promise<RouteOutput<K>> {
  const r = routeById(id) as unknown as AnyRoute;
  const d = await findDaemon(o.state);
  if (d) return await viaDaemon(d, r, input as Record<string, unknown>) as RouteOutput<K>;
  // In this process the CLI reads image= files as its own user, like any other file it is given.
  return await runRoute(r, input, { state: o.state, images: "any", ...(o.onProgress ? { onProgress: o.onProgress } : {}) }) as RouteOutput<K>;
}
