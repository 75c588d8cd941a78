// A real `vnvdimm up` in a child process, on a free loopback port, for the
// API, CLI and load tests.
import { spawn, type ChildProcess } from "node:child_process";
import { request } from "node:http";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

/** bin/vnvdimm of this checkout (tests run from dist/test/…). */
export const BIN = join(dirname(fileURLToPath(import.meta.url)), "..", "..", "..", "bin", "vnvdimm");

/** Two 2 GiB NVDIMMs (sparse files): room for the demo domain and many small ones. */
export const SMALL_SPEC = { name: "t", sockets: [{ node: 0, ram: "1G" }, { node: 1, ram: "1G" }], nvdimms: [{ node: 0, size: "2G" }, { node: 1, size: "2G" }] };

export interface Daemon {
  state: string;
  url: string;
  token: string;
  child: ChildProcess;
  stderr(): string;
  /** SIGTERM, then the exit status and what it printed. */
  stop(signal?: NodeJS.Signals): Promise<{ code: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string }>;
  /** Settles when the process has exited, however it did. */
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

export function tempDir(prefix: string): string {
  return mkdtempSync(join(tmpdir(), `vnvdimm-${prefix}-`));
}

/** A state directory with a small host, reserved (by the CLI, in this process's child). */
export function smallSpecFile(dir: string): string {
  const p = join(dir, "machine.json");
  writeFileSync(p, JSON.stringify(SMALL_SPEC));
  return p;
}

/**
 * `host init` with the small spec, then both DIMMs reserved (DIMM 1's frame
 * table in RAM), all through the CLI, each command in its own process
 * (VNVDIMM_NO_AUTOSTART=1): the state directory is left with no host running.
 */
export async function initReservedHost(state: string, specFile: string, env: NodeJS.ProcessEnv = { VNVDIMM_NO_AUTOSTART: "1" }): Promise<void> {
  for (const args of [["host", "init", "--spec", specFile], ["pmem", "reserve", "--dimm", "0"], ["pmem", "reserve", "--dimm", "1", "--mgmt", "ram"]]) {
    const r = await runCli([...args, "--state", state], env);
    if (r.code !== 0) throw new Error(`vnvdimm ${args.join(" ")} failed (${r.code}): ${r.err}`);
  }
}

/** A fresh temp dir with a reserved small host, served by `vnvdimm up --demo`. */
export async function startDemoDaemon(prefix: string): Promise<{ dir: string; daemon: Daemon }> {
  const dir = tempDir(prefix);
  const state = join(dir, "state");
  await initReservedHost(state, smallSpecFile(dir));
  return { dir, daemon: await startDaemon(state, ["--demo"]) };
}

/** `vnvdimm up --state STATE`; with `cwd` and no state, the default ./.vnvdimm there. */
export function startDaemon(state: string, extra: string[] = [], o: { cwd?: string; env?: NodeJS.ProcessEnv } = {}): Promise<Daemon> {
  const env = { ...process.env, ...o.env };
  if (o.cwd) delete env["VNVDIMM_STATE"];
  const child = spawn(process.execPath, [BIN, "up", ...(o.cwd ? [] : ["--state", state]), "--port", "0", "--json", ...extra], {
    env, stdio: ["ignore", "pipe", "pipe"], ...(o.cwd ? { cwd: o.cwd } : {}),
  });
  let stdout = "", stderr = "";
  child.stdout!.setEncoding("utf8").on("data", (t: string) => { stdout += t; });
  child.stderr!.setEncoding("utf8").on("data", (t: string) => { stderr += t; });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.once("exit", (code, signal) => resolve({ code, signal })));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => { child.kill("SIGKILL"); reject(new Error(`vnvdimm up did not start in 60 s: ${stderr}`)); }, 60_000);
    const poll = setInterval(() => {
      // `up --json` prints one JSON object once it serves.
      const end = stdout.indexOf("\n}\n");
      if (end < 0) return;
      const info = JSON.parse(stdout.slice(0, end + 2)) as { url: string };
      clearInterval(poll);
      clearTimeout(timer);
      const token = readFileSync(join(state, "api-token"), "utf8").trim();
      resolve({
        state, url: info.url, token, child, stderr: () => stderr, exited,
        stop: async (signal = "SIGTERM") => {
          if (child.exitCode === null && child.signalCode === null) child.kill(signal);
          return { ...(await exited), stdout, stderr };
        },
      });
    }, 20);
    void exited.then(({ code }) => {
      clearInterval(poll);
      clearTimeout(timer);
      reject(new Error(`vnvdimm up exited with ${code}: ${stderr}`));
    });
  });
}

/** Runs the CLI in a child process (it finds the daemon, if any, through the state directory). */
export function runCli(args: string[], env: NodeJS.ProcessEnv = {}, cwd?: string): Promise<{ code: number | null; out: string; err: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [BIN, ...args], { env: { ...process.env, ...env }, stdio: ["ignore", "pipe", "pipe"], ...(cwd ? { cwd } : {}) });
    let out = "", err = "";
    child.stdout.setEncoding("utf8").on("data", (t: string) => { out += t; });
    child.stderr.setEncoding("utf8").on("data", (t: string) => { err += t; });
    child.once("exit", (code) => resolve({ code, out, err }));
  });
}

export interface ApiResult { status: number; body: unknown; text: string; ms: number }

/** One HTTP call; the token is sent when given. */
export async function api(d: Pick<Daemon, "url">, method: string, path: string, body?: unknown, token?: string, headers: Record<string, string> = {}): Promise<ApiResult> {
  const t0 = performance.now();
  const res = await fetch(new URL(path.replace(/^\//, ""), d.url), {
    method,
    headers: { ...(body !== undefined ? { "Content-Type": "application/json" } : {}), ...(token ? { Authorization: `Bearer ${token}` } : {}), ...headers },
    ...(body !== undefined ? { body: typeof body === "string" ? body : JSON.stringify(body) } : {}),
  });
  const text = await res.text();
  let parsed: unknown;
  try { parsed = JSON.parse(text); } catch { parsed = undefined; }
  return { status: res.status, body: parsed, text, ms: performance.now() - t0 };
}

/** A GET with a chosen Host header (fetch will not send one). */
export function getWithHost(d: Pick<Daemon, "url">, path: string, host: string): Promise<{ status: number; body: unknown; text: string }> {
  return new Promise((resolve, reject) => {
    const req = request(new URL(path.replace(/^\//, ""), d.url), { headers: { Host: host } }, (res) => {
      let text = "";
      res.setEncoding("utf8").on("data", (t: string) => { text += t; }).on("end", () => {
        let body: unknown;
        try { body = JSON.parse(text); } catch { body = undefined; }
        resolve({ status: res.statusCode ?? 0, body, text });
      });
    });
    req.on("error", reject);
    req.end();
  });
}

export interface SseEvent { event: string; data: Record<string, unknown> }

/** Collects server-sent events until stopped. */
export async function listen(d: Pick<Daemon, "url">): Promise<{ events: SseEvent[]; waitFor(pred: (e: SseEvent) => boolean, ms?: number): Promise<SseEvent>; close(): void }> {
  const ac = new AbortController();
  const res = await fetch(new URL("api/events", d.url), { signal: ac.signal });
  if (res.status !== 200 || !/^text\/event-stream/.test(res.headers.get("content-type") ?? "")) throw new Error(`GET /api/events: ${res.status}`);
  const events: SseEvent[] = [];
  const waiters: (() => void)[] = [];
  void (async () => {
    const decoder = new TextDecoder();
    let buf = "";
    try {
      for await (const chunk of res.body as AsyncIterable<Uint8Array>) {
        buf += decoder.decode(chunk, { stream: true });
        let at: number;
        while ((at = buf.indexOf("\n\n")) >= 0) {
          const block = buf.slice(0, at);
          buf = buf.slice(at + 2);
          const ev = /^event: (.*)$/m.exec(block)?.[1];
          const data = /^data: (.*)$/m.exec(block)?.[1];
          if (ev && data) events.push({ event: ev, data: JSON.parse(data) as Record<string, unknown> });
          waiters.splice(0).forEach((w) => w());
        }
      }
    } catch { /* aborted */ }
  })();
  const waitFor = async (pred: (e: SseEvent) => boolean, ms = 10_000) => {
    const deadline = Date.now() + ms;
    for (;;) {
      const hit = events.find(pred);
      if (hit) return hit;
      if (Date.now() > deadline) throw new Error(`no such event; got ${JSON.stringify(events)}`);
      await new Promise<void>((r) => { waiters.push(r); setTimeout(r, 200); });
    }
  };
  return { events, waitFor, close: () => ac.abort() };
}

