// A small QMP client (QEMU Machine Protocol, docs/interop/qmp-spec.rst):
// JSON objects over a unix socket, one per line. On connect the server sends
// a greeting; the client must send qmp_capabilities before anything else.
// Every command carries an id, and the reply with that id is its answer:
// {"return": …} or {"error": {"class", "desc"}}. Anything else is an event.
// Lines that are not JSON objects are ignored: the client never throws on
// what the server sends, it only times out.
import { createConnection, type Socket } from "node:net";

export interface QmpEvent {
  event: string;
  data?: Record<string, unknown>;
  timestamp?: { seconds: number; microseconds: number };
}

export class QmpError extends Error {
  constructor(readonly errorClass: string, readonly desc: string, readonly command: string) {
    super(`QMP ${command}: ${desc}`);
    this.name = "QmpError";
  }
}

interface Pending {
  command: string;
  resolve: (v: unknown) => void;
  reject: (e: Error) => void;
  timer: NodeJS.Timeout;
}

const DEFAULT_TIMEOUT_MS = 10_000;

export class QmpClient {
  readonly events: QmpEvent[] = [];
  #buf = "";
  #nextId = 1;
  #pending = new Map<string, Pending>();
  #greeting: ((v: unknown) => void) | undefined;
  #waiters: { name: string; resolve: (e: QmpEvent) => void }[] = [];
  #closed = false;

  private constructor(private readonly sock: Socket) {
    sock.setEncoding("utf8");
    sock.on("data", (chunk: string) => this.#onData(chunk));
    sock.on("close", () => this.#onClose());
    sock.on("error", () => { /* "close" follows and fails what is pending */ });
  }

  /** Connects, waits for the greeting and negotiates capabilities. */
  static async connect(path: string, timeoutMs = DEFAULT_TIMEOUT_MS): Promise<QmpClient> {
    const sock = createConnection(path);
    const client = new QmpClient(sock);
    try {
      await new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => reject(new QmpError("Timeout", `no greeting from ${path} within ${timeoutMs} ms`, "connect")), timeoutMs);
        sock.once("error", (e) => { clearTimeout(timer); reject(new QmpError("Disconnected", `cannot connect to ${path}: ${e.message}`, "connect")); });
        client.#greeting = () => { clearTimeout(timer); resolve(); };
      });
      await client.execute("qmp_capabilities", undefined, timeoutMs);
      return client;
    } catch (e) {
      client.close();
      throw e;
    }
  }

  execute<T = unknown>(command: string, args?: Record<string, unknown>, timeoutMs = DEFAULT_TIMEOUT_MS): Promise<T> {
    if (this.#closed) return Promise.reject(new QmpError("Disconnected", "the QMP connection is closed", command));
    const id = `vnvdimm-${this.#nextId++}`;
    return new Promise<T>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#pending.delete(id);
        reject(new QmpError("Timeout", `no answer within ${timeoutMs} ms`, command));
      }, timeoutMs);
      this.#pending.set(id, { command, resolve: resolve as (v: unknown) => void, reject, timer });
      this.sock.write(JSON.stringify({ execute: command, ...(args ? { arguments: args } : {}), id }) + "\n");
    });
  }

  /** The next event named `name` (or one already received since the last wait). */
  waitEvent(name: string, timeoutMs = DEFAULT_TIMEOUT_MS): Promise<QmpEvent> {
    const seen = this.events.findIndex((e) => e.event === name);
    if (seen >= 0) return Promise.resolve(this.events.splice(seen, 1)[0]!);
    return new Promise((resolve, reject) => {
      const w = { name, resolve: (e: QmpEvent) => { clearTimeout(timer); resolve(e); } };
      const timer = setTimeout(() => {
        this.#waiters = this.#waiters.filter((x) => x !== w);
        reject(new QmpError("Timeout", `no ${name} event within ${timeoutMs} ms`, "wait"));
      }, timeoutMs);
      this.#waiters.push(w);
    });
  }

  close(): void {
    this.#closed = true;
    this.sock.destroy();
  }

  #onData(chunk: string): void {
    this.#buf += chunk;
    let nl: number;
    while ((nl = this.#buf.indexOf("\n")) >= 0) {
      const line = this.#buf.slice(0, nl).trim();
      this.#buf = this.#buf.slice(nl + 1);
      if (line) this.#onMessage(line);
    }
    // A server that never ends a line cannot grow this without bound.
    if (this.#buf.length > 16 << 20) this.#buf = "";
  }

  #onMessage(line: string): void {
    let msg: unknown;
    try { msg = JSON.parse(line); } catch { return; }
    if (typeof msg !== "object" || msg === null || Array.isArray(msg)) return;
    const m = msg as Record<string, unknown>;
    if ("QMP" in m) { this.#greeting?.(m); this.#greeting = undefined; return; }
    if (typeof m["event"] === "string") {
      const ev = m as unknown as QmpEvent;
      const w = this.#waiters.find((x) => x.name === ev.event);
      if (w) { this.#waiters = this.#waiters.filter((x) => x !== w); w.resolve(ev); } else this.events.push(ev);
      return;
    }
    const id = typeof m["id"] === "string" ? m["id"] : undefined;
    const p = id ? this.#pending.get(id) : undefined;
    if (!p || !id) return;
    this.#pending.delete(id);
    clearTimeout(p.timer);
    const err = m["error"] as { class?: unknown; desc?: unknown } | undefined;
    if (err && typeof err === "object") p.reject(new QmpError(String(err.class ?? "GenericError"), String(err.desc ?? "error"), p.command));
    else p.resolve(m["return"]);
  }

  #onClose(): void {
    this.#closed = true;
    for (const p of this.#pending.values()) {
      clearTimeout(p.timer);
      p.reject(new QmpError("Disconnected", "QEMU closed the QMP connection", p.command));
    }
    this.#pending.clear();
  }
}

/** Connects, runs `fn`, always closes. */
export async function withQmp<T>(path: string, fn: (q: QmpClient) => Promise<T>, timeoutMs = DEFAULT_TIMEOUT_MS): Promise<T> {
  const q = await QmpClient.connect(path, timeoutMs);
  try { return await fn(q); } finally { q.close(); }
}
