// The HTTP front end: the route table under /api, server-sent events, the
// OpenAPI document, and the dashboard's static files. Every request that
// touches state runs through one queue, in arrival order. The same handler
// serves the TCP port (API and dashboard) and, when given one, the host's
// Unix socket (the CLI's way in; mode 0600 in a 0700 state directory, so only
// the host's own user reaches it).
import { timingSafeEqual } from "node:crypto";
import { chmodSync, unlinkSync } from "node:fs";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import { isAbsolute } from "node:path";
import type { AddressInfo } from "node:net";
import {
  DEFAULT_BODY_LIMIT, HTTP_STATUS, UserError, needsToken, parseJsonExact, parseRouteInput, routes, toJson, type AnyRoute, type ChangeEvent,
} from "../api/index.js";
import type { LiveHost } from "../api/index.js";
import { EventHub } from "./sse.js";
import { openApiDocument } from "./openapi.js";
import { SerialQueue } from "./serial-queue.js";
import { serveStatic } from "./static-files.js";

export interface ServerOptions {
  state: string;
  bind: string;
  port: number;
  token: string;
  /** The dashboard's files; none served when undefined. */
  webDir?: string;
  version: string;
  /** Where bugs are logged with their stack (never sent to clients). */
  log: (line: string) => void;
  /** The living host every route reads from and keeps up to date. */
  live?: LiveHost;
  /** The only directory image= files are read from (`vnvdimm up --images`); none means every image= is refused. */
  imagesDir?: string;
  /** A Unix socket to serve too (the CLI's way in); a stale file there is replaced (the caller holds the host lock). */
  socketPath?: string;
  /** Asked by `POST /api/host/stop`: stop this host once the answer is out. */
  stopHost?: () => void;
  /** Whether the host was started in the background (on first use), for /api/health. */
  background?: boolean;
}

export interface RunningServer {
  url: string;
  port: number;
  events: EventHub;
  /** Milliseconds since the last request ended; 0 while one runs or an event stream (a dashboard) is open. */
  idleMs(): number;
  close(): Promise<void>;
}

interface Matcher { route: AnyRoute; re: RegExp; names: string[] }

const matchers: Matcher[] = (routes as readonly AnyRoute[]).map((route) => {
  const names: string[] = [];
  const re = new RegExp("^" + route.path.replace(/\{(\w+)\}/g, (_m, n: string) => { names.push(n); return "([^/]+)"; }) + "$");
  return { route, re, names };
});

const OPERATION_ID = /^[A-Za-z0-9._-]{1,64}$/;
const LOOPBACK_NAMES = new Set(["localhost", "127.0.0.1", "[::1]", "::1"]);

export function isLoopback(bind: string): boolean {
  return bind === "localhost" || bind === "::1" || /^127\.\d+\.\d+\.\d+$/.test(bind);
}

function sendJson(res: ServerResponse, status: number, body: unknown, extra: Record<string, string> = {}): void {
  const text = toJson(body, 0);
  res.writeHead(status, {
    "Content-Type": "application/json; charset=utf-8", "Content-Length": Buffer.byteLength(text), "Cache-Control": "no-store",
    "X-Content-Type-Options": "nosniff", ...extra,
  });
  res.end(text);
}

function sendError(res: ServerResponse, e: UserError, extra: Record<string, string> = {}): void {
  sendJson(res, HTTP_STATUS[e.code], e.toJSON(), extra);
}

function tokenMatches(header: string | undefined, token: string): boolean {
  const m = /^Bearer\s+(\S+)$/i.exec(header ?? "");
  if (!m) return false;
  const a = Buffer.from(m[1]!), b = Buffer.from(token);
  return a.length === b.length && timingSafeEqual(a, b);
}

/** The header a CLI on the Unix socket names its working directory in (percent-encoded), so that a relative image= means what it means to its user. */
export const CWD_HEADER = "x-vnvdimm-cwd";

/** The most of an over-long body that is read and thrown away so that its sender sees the 413; beyond it, the socket is closed. */
const DRAIN_LIMIT_BYTES = 64 << 20;

/**
 * Reads a body of at most `limit` bytes. One that is over it is still read to
 * its end (up to DRAIN_LIMIT_BYTES) and thrown away before the 413 goes out:
 * answering while the client is still sending, then closing, makes the client
 * fail with EPIPE instead of reading the answer.
 */
async function readBody(req: IncomingMessage, limit: number): Promise<string> {
  const declared = Number(req.headers["content-length"] ?? "0");
  const chunks: Buffer[] = [];
  let n = 0;
  for await (const c of req as AsyncIterable<Buffer>) {
    n += c.length;
    if (n > DRAIN_LIMIT_BYTES) break;
    if (n <= limit && declared <= limit) chunks.push(c);
  }
  if (declared > limit) throw new UserError("too-large", `Request body of ${declared} bytes is over the ${limit}-byte limit`, undefined, 2);
  if (n > limit) throw new UserError("too-large", `Request body is over the ${limit}-byte limit`, undefined, 2);
  return Buffer.concat(chunks).toString("utf8");
}

export function startServer(opts: ServerOptions): Promise<RunningServer> {
  const events = new EventHub();
  const queue = new SerialQueue();
  const loopback = isLoopback(opts.bind);
  const doc = openApiDocument(opts.version);
  let inFlight = 0, lastActive = Date.now();
  let tcpUrl = "";

  async function api(req: IncomingMessage, res: ServerResponse, url: URL, local: boolean): Promise<void> {
    const method = req.method ?? "GET";
    if (url.pathname === "/api/openapi.json" && method === "GET") return sendJson(res, 200, doc);
    if (url.pathname === "/api/health" && method === "GET") {
      return sendJson(res, 200, { pid: process.pid, state: opts.state, version: opts.version, queued: queue.depth, url: tcpUrl, background: opts.background === true });
    }
    if (url.pathname === "/api/events" && method === "GET") return events.add(res, { pid: process.pid, version: opts.version });
    let params: Record<string, string> | undefined;
    const allowed: string[] = [];
    let found: AnyRoute | undefined;
    for (const m of matchers) {
      const hit = m.re.exec(url.pathname);
      if (!hit) continue;
      allowed.push(m.route.method);
      if (m.route.method !== method) continue;
      found = m.route;
      try {
        params = Object.fromEntries(m.names.map((n, i) => [n, decodeURIComponent(hit[i + 1]!)]));
      } catch {
        throw new UserError("usage", `Bad percent-encoding in ${url.pathname}`, undefined, 2);
      }
      break;
    }
    if (!found) {
      if (allowed.length) {
        throw Object.assign(new UserError("method-not-allowed", `${method} is not allowed on ${url.pathname}`, `use ${allowed.join(" or ")}`, 2), { allow: allowed.join(", ") });
      }
      throw new UserError("not-found", `No API endpoint ${url.pathname}`, "see GET /api/openapi.json", 2);
    }
    const route = found;
    if (needsToken(route) && !tokenMatches(req.headers.authorization, opts.token)) {
      throw new UserError("unauthorized", "This call needs the API token", "send `Authorization: Bearer <token>`; the token is in <state>/api-token and in the URL `vnvdimm up` printed", 2);
    }
    let input: Record<string, unknown>;
    if (method === "GET") {
      input = {};
      for (const [k, v] of url.searchParams) {
        if (k in input) throw new UserError("usage", `Query parameter ${k} is given twice`, undefined, 2);
        input[k] = v;
      }
    } else {
      const type = req.headers["content-type"] ?? "";
      const text = await readBody(req, route.maxBodyBytes ?? DEFAULT_BODY_LIMIT);
      if (text.length && !/^application\/json\b/i.test(type)) {
        throw new UserError("unsupported-media-type", `Request body must be JSON, not ${type || "untyped"}`, "send Content-Type: application/json", 2);
      }
      let body: unknown = {};
      if (text.trim().length) {
        try { body = parseJsonExact(text); } catch {
          throw new UserError("usage", "Request body is not valid JSON", undefined, 2, "request.invalid");
        }
      }
      if (typeof body !== "object" || body === null || Array.isArray(body)) throw new UserError("usage", "Request body must be a JSON object", undefined, 2, "request.invalid");
      input = { ...(body as Record<string, unknown>) };
    }
    // Path parameters are the resource: a body cannot name another one.
    for (const [k, v] of Object.entries(params ?? {})) {
      if (k in input && input[k] !== v) throw new UserError("usage", `${k} is given in both the path and the ${method === "GET" ? "query" : "body"}`, undefined, 2, "request.invalid");
      input[k] = v;
    }
    const opHeader = req.headers["x-operation-id"];
    const op = typeof opHeader === "string" && OPERATION_ID.test(opHeader) ? opHeader : undefined;
    const mutating = method !== "GET";
    const onProgress = (label: string, done: number, total: number) => events.broadcast("progress", { op: op ?? null, route: route.id, label, done, total });
    const parsed = parseRouteInput(route, input);
    // `host stop` is carried out once its answer has gone out.
    let stopAfter = false;
    const out = await queue.run(async () => {
      if (mutating) {
        onProgress(route.summary, 0, 1);
        // Commands run synchronously: let the event go out before this one starts, so watchers see it as under way.
        await new Promise<void>((resolve) => setImmediate(resolve));
      }
      try {
        return await route.run(parsed, {
          state: opts.state, images: local ? { relativeTo: cwdOf(req) } : { dir: opts.imagesDir }, onProgress,
          ...(opts.live ? { live: opts.live } : {}), ...(opts.stopHost ? { stopHost: () => { stopAfter = true; } } : {}),
        });
      } finally {
        if (mutating) onProgress(route.summary, 1, 1);
      }
    });
    if (stopAfter) res.once("finish", () => opts.stopHost?.());
    sendJson(res, route.status?.(out) ?? 200, out);
    const change: ChangeEvent | undefined = route.change?.(parsed, out);
    if (change) events.broadcast("change", { ...change, ...(op ? { op } : {}) });
  }

  async function handle(req: IncomingMessage, res: ServerResponse, local: boolean): Promise<void> {
    const url = new URL(req.url ?? "/", "http://localhost");
    // DNS rebinding: a page on another origin that resolves to 127.0.0.1 still sends its own Host. No page reaches a Unix socket.
    const hostName = (req.headers.host ?? "").replace(/:\d+$/, "").toLowerCase();
    if (!local && loopback && !LOOPBACK_NAMES.has(hostName) && hostName !== opts.bind) {
      return sendError(res, new UserError("forbidden", `Host ${hostName || "(none)"} is not this server`, `use http://127.0.0.1:${(server.address() as AddressInfo).port}/`, 2));
    }
    if (url.pathname === "/api" || url.pathname.startsWith("/api/")) {
      try {
        await api(req, res, url, local);
      } catch (e) {
        if (res.headersSent) { res.destroy(); return; }
        if (e instanceof UserError) {
          const allow = (e as UserError & { allow?: string }).allow;
          const extra: Record<string, string> = {};
          if (allow) extra["Allow"] = allow;
          // An over-long body was drained only up to a bound: the connection is not reused.
          if (e.code === "too-large") extra["Connection"] = "close";
          return sendError(res, e, extra);
        }
        opts.log(`vnvdimm up: internal error on ${req.method} ${url.pathname}: ${e instanceof Error ? e.stack ?? e.message : String(e)}`);
        const message = e instanceof Error ? e.message.split("\n")[0]! : String(e);
        return sendJson(res, 500, { error: "internal", message: `Internal error: ${message}`, hint: "this is a bug; the daemon's log has the details", exit: 70 });
      }
      return;
    }
    if ((req.method === "GET" || req.method === "HEAD") && opts.webDir && serveStatic(opts.webDir, req, res, url.pathname)) return;
    if (req.method !== "GET" && req.method !== "HEAD") return sendError(res, new UserError("method-not-allowed", `${req.method} is not allowed on ${url.pathname}`, "use GET", 2), { Allow: "GET, HEAD" });
    const missing = opts.webDir ? "" : " (the dashboard is not built: run `npm run build`)";
    res.writeHead(404, { "Content-Type": "text/plain; charset=utf-8" });
    res.end(`Not found: ${url.pathname}${missing}\n`);
  }

  const serve = (local: boolean): Server => {
    const s = createServer((req, res) => {
      inFlight++;
      res.once("close", () => { inFlight--; lastActive = Date.now(); });
      handle(req, res, local).catch((e: unknown) => {
        opts.log(`vnvdimm up: internal error on ${req.method} ${req.url}: ${e instanceof Error ? e.stack ?? e.message : String(e)}`);
        res.destroy();
      });
    });
    // A slow or idle client cannot hold a socket forever; SSE streams are exempt (they write a heartbeat).
    s.requestTimeout = 120_000;
    s.headersTimeout = 30_000;
    return s;
  };
  const server = serve(false);
  const unix = opts.socketPath === undefined ? undefined : serve(true);
  const closeOne = (s: Server) => new Promise<void>((done) => {
    s.close(() => done());
    s.closeIdleConnections();
    // Requests still running finish first; then whatever is left goes.
    void queue.run(() => undefined).then(() => setImmediate(() => s.closeAllConnections()));
  });
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(opts.port, opts.bind, () => {
      server.off("error", reject);
      const port = (server.address() as AddressInfo).port;
      const host = opts.bind.includes(":") ? `[${opts.bind}]` : opts.bind;
      tcpUrl = `http://${host}:${port}/`;
      const running: RunningServer = {
        url: tcpUrl,
        port,
        events,
        idleMs: () => (inFlight > 0 || events.size > 0 ? 0 : Date.now() - lastActive),
        close: async () => {
          events.close();
          await Promise.all([closeOne(server), ...(unix ? [closeOne(unix)] : [])]);
        },
      };
      if (!unix || !opts.socketPath) return resolve(running);
      const path = opts.socketPath;
      // A socket file left by a host that was killed: whoever holds the host lock may replace it.
      try { unlinkSync(path); } catch { /* none there */ }
      unix.once("error", (e) => { server.close(); reject(e); });
      unix.listen(path, () => {
        // The state directory (0700) keeps others out while the socket still has the umask's mode.
        chmodSync(path, 0o600);
        resolve({ ...running, close: async () => { await running.close(); try { unlinkSync(path); } catch { /* gone with its directory */ } } });
      });
    });
  });
}

/** The working directory a local CLI named, if it is a plain absolute path. */
function cwdOf(req: IncomingMessage): string {
  const raw = req.headers[CWD_HEADER];
  let v: string | undefined;
  try { v = typeof raw === "string" ? decodeURIComponent(raw) : undefined; } catch { v = undefined; }
  return v !== undefined && isAbsolute(v) && !v.includes("\0") ? v : "/";
}
