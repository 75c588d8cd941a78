// The living host's figures (`npm run bench -- --only living`): two real
// `vnvdimm up` child processes serve two small hosts (two sparse 4 GiB
// DIMMs, both reserved), one with no domain and one with 300 running
// builtin domains (one 16 MiB vNVDIMM each, the smallest size a vNVDIMM may
// have). Each figure is a ratio taken in alternating rounds, so that both
// sides see the same machine:
//   - GET /api/domains and GET /api/pmem/map, requests per second with 1
//     and 16 keep-alive clients, against a trivial node:http server in its
//     own child process that answers the same body bytes (captured from the
//     daemon once) and the same headers;
//   - create + destroy + delete cycles per second through the API, on the
//     host with 300 domains against the host with none;
//   - `vnvdimm list --state S` as a whole process (it finds the daemon and
//     asks it over HTTP) against `node -e 0`.
//
//   node dist/bench/living-host.js [--json]
import { spawn, type ChildProcess } from "node:child_process";
import { Agent, request } from "node:http";
import { rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import { pathToFileURL } from "node:url";
import { BIN, SMALL_SPEC, api, initReservedHost, startDaemon, tempDir, type Daemon } from "../test/api/daemon.js";
import { printRows, ratioText, type BenchRow } from "./table.js";

const DOMAINS = 300;
/** The small spec with 4 GiB DIMMs: 300 vNVDIMMs of 16 MiB (the minimum) and their label pages do not fit in 2 × 2 GiB. */
const SPEC = { ...SMALL_SPEC, name: "bench", nvdimms: SMALL_SPEC.nvdimms.map((n) => ({ ...n, size: "4G" })) };
const smallDomain = (name: string) => `name = "${name}"\nmemory = 64\nvnvdimms = [ 'size=16M' ]\n`;

const GET_ROUNDS = 9;
const GET_ROUND_MS = 250;
const CYCLE_ROUNDS = 5;
const CYCLE_ROUND_MS = 1200;
const CLI_PAIRS = 11;

function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

const perSec = (n: number) => `${n >= 100 ? Math.round(n).toLocaleString("en-US") : n.toFixed(1)}/s`;

interface Host { label: string; daemon: Daemon; dir: string }

async function startHost(label: string, domains: number): Promise<Host> {
  const dir = tempDir(`bench-live-${label}`);
  const spec = join(dir, "machine.json");
  writeFileSync(spec, JSON.stringify(SPEC));
  const state = join(dir, "state");
  await initReservedHost(state, spec);
  const daemon = await startDaemon(state);
  for (let i = 0; i < domains; i++) {
    const r = await api(daemon, "POST", "/api/domains", { config: smallDomain(`d${i}`) }, daemon.token);
    if (r.status !== 201) throw new Error(`bench: creating domain d${i}: ${r.status} ${r.text}`);
  }
  return { label, daemon, dir };
}

async function stopHost(h: Host): Promise<void> {
  await h.daemon.stop();
  rmSync(h.dir, { recursive: true, force: true });
}

/** A node:http server in a child process that answers each path with fixed bytes and headers; nothing else. */
const TRIVIAL_SERVER = `
const http = require("node:http");
const fs = require("node:fs");
const bodies = new Map(Object.entries(JSON.parse(fs.readFileSync(process.argv[1], "utf8"))).map(([k, v]) => [k, Buffer.from(v, "base64")]));
const server = http.createServer((req, res) => {
  const body = bodies.get(req.url);
  if (!body) { res.writeHead(404); res.end(); return; }
  res.writeHead(200, { "Content-Type": "application/json; charset=utf-8", "Content-Length": body.length, "Cache-Control": "no-store", "X-Content-Type-Options": "nosniff" });
  res.end(body);
});
server.listen(0, "127.0.0.1", () => process.stdout.write(server.address().port + "\\n"));
process.on("SIGTERM", () => process.exit(0));
`;

async function startTrivial(bodiesFile: string): Promise<{ url: string; child: ChildProcess }> {
  const child = spawn(process.execPath, ["-e", TRIVIAL_SERVER, bodiesFile], { stdio: ["ignore", "pipe", "inherit"] });
  const port = await new Promise<string>((resolve, reject) => {
    let out = "";
    child.stdout!.setEncoding("utf8").on("data", (t: string) => {
      out += t;
      if (out.includes("\n")) resolve(out.trim());
    });
    child.once("exit", (code) => reject(new Error(`bench: the trivial server exited with ${code}`)));
  });
  return { url: `http://127.0.0.1:${port}/`, child };
}

/** The body of a GET, as bytes. */
function getBytes(url: URL): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    request(url, (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (c: Buffer) => chunks.push(c)).on("end", () => {
        if (res.statusCode !== 200) reject(new Error(`bench: GET ${url.pathname}: ${res.statusCode}`));
        else resolve(Buffer.concat(chunks));
      });
    }).on("error", reject).end();
  });
}

/** One GET over `agent`, its body read to the end and its length checked. */
function getOnce(url: URL, agent: Agent, bytes: number): Promise<void> {
  return new Promise((resolve, reject) => {
    request(url, { agent }, (res) => {
      let n = 0;
      res.on("data", (c: Buffer) => { n += c.length; }).on("end", () => {
        if (res.statusCode !== 200 || n !== bytes) reject(new Error(`bench: GET ${url.href}: ${res.statusCode}, ${n} bytes, expected ${bytes}`));
        else resolve();
      });
    }).on("error", reject).end();
  });
}

/** Requests per second that `clients` concurrent loops of GETs complete in `ms`. */
async function hammer(url: URL, agent: Agent, clients: number, bytes: number, ms: number): Promise<number> {
  let done = 0;
  const t0 = performance.now();
  const end = t0 + ms;
  await Promise.all(Array.from({ length: clients }, async () => {
    while (performance.now() < end) {
      await getOnce(url, agent, bytes);
      done++;
    }
  }));
  return done / ((performance.now() - t0) / 1000);
}

interface RatePair { op: number; base: number; ratio: number }

/** Alternating rounds of `op` and `base` (each returns a rate); medians, and the median of per-round base/op (how many times slower op is). */
async function alternate(op: () => Promise<number>, base: () => Promise<number>, rounds: number): Promise<RatePair> {
  const a: number[] = [], b: number[] = [];
  for (let i = 0; i < rounds; i++) {
    a.push(await op());
    b.push(await base());
  }
  return { op: median(a), base: median(b), ratio: median(a.map((x, i) => b[i]! / x)) };
}

async function benchGets(hosts: readonly Host[], dir: string): Promise<BenchRow[]> {
  const paths = ["/api/domains", "/api/pmem/map"];
  // The daemon's answers, captured once; the trivial server answers the same bytes at /<host>/<path>.
  const bodies: Record<string, string> = {};
  const sizes = new Map<string, number>();
  for (const h of hosts) {
    for (const p of paths) {
      const b = await getBytes(new URL(p.slice(1), h.daemon.url));
      bodies[`/${h.label}${p}`] = b.toString("base64");
      sizes.set(`${h.label}${p}`, b.length);
    }
  }
  const bodiesFile = join(dir, "bodies.json");
  writeFileSync(bodiesFile, JSON.stringify(bodies));
  const trivial = await startTrivial(bodiesFile);
  const rows: BenchRow[] = [];
  try {
    for (const p of paths) {
      for (const h of hosts) {
        for (const clients of [1, 16]) {
          const bytes = sizes.get(`${h.label}${p}`)!;
          const daemonUrl = new URL(p.slice(1), h.daemon.url);
          const trivialUrl = new URL(`${h.label}${p}`, trivial.url);
          const agents = [new Agent({ keepAlive: true, maxSockets: clients }), new Agent({ keepAlive: true, maxSockets: clients })] as const;
          try {
            // Warm-up: connections open, both servers' code hot.
            await hammer(daemonUrl, agents[0], clients, bytes, 200);
            await hammer(trivialUrl, agents[1], clients, bytes, 200);
            const r = await alternate(
              () => hammer(daemonUrl, agents[0], clients, bytes, GET_ROUND_MS),
              () => hammer(trivialUrl, agents[1], clients, bytes, GET_ROUND_MS),
              GET_ROUNDS,
            );
            rows.push({
              figure: `GET ${p}, ${h.label} domains, ${clients} keep-alive client${clients > 1 ? "s" : ""} (${bytes < 1024 ? `${bytes} B` : `${(bytes / 1024).toFixed(1)} KiB`} body)`,
              value: perSec(r.op), baseline: `${perSec(r.base)} (trivial node:http, same bytes)`, ratio: ratioText(r.ratio), target: "≤ 3×",
            });
          } finally { agents.forEach((a) => a.destroy()); }
        }
      }
    }
  } finally {
    trivial.child.kill("SIGTERM");
  }
  return rows;
}

/** One create + destroy + delete of a small builtin domain through the API. */
async function cycle(h: Host): Promise<void> {
  const d = h.daemon;
  for (const [method, path, body] of [
    ["POST", "/api/domains", { config: smallDomain("cycle") }],
    ["POST", "/api/domains/cycle/destroy", undefined],
    ["DELETE", "/api/domains/cycle", undefined],
  ] as const) {
    const r = await api(d, method, path, body, d.token);
    if (r.status >= 300) throw new Error(`bench: ${method} ${path} on the ${h.label}-domain host: ${r.status} ${r.text}`);
  }
}

/** Cycles per second for about `ms` (at least two cycles). */
async function cycles(h: Host, ms: number): Promise<number> {
  const t0 = performance.now();
  let n = 0;
  while (n < 2 || performance.now() - t0 < ms) {
    await cycle(h);
    n++;
  }
  return n / ((performance.now() - t0) / 1000);
}

async function benchCycles(empty: Host, full: Host): Promise<BenchRow> {
  await cycle(empty);
  await cycle(full);
  const r = await alternate(() => cycles(full, CYCLE_ROUND_MS), () => cycles(empty, CYCLE_ROUND_MS), CYCLE_ROUNDS);
  // Reported as the rate with 300 domains over the rate with none.
  return {
    figure: `create + destroy + delete through the API (16 MiB vNVDIMM), ${full.label} domains running`,
    value: perSec(r.op), baseline: `${perSec(r.base)} (${empty.label} domains)`, ratio: ratioText(1 / r.ratio), target: "≥ 0.5×",
  };
}

/** Wall milliseconds of a whole child process, from spawn to exit; it must exit 0. */
function timeProcess(argv: readonly string[]): Promise<number> {
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    const child = spawn(process.execPath, argv, { stdio: ["ignore", "pipe", "pipe"] });
    let err = "";
    child.stdout.resume();
    child.stderr.setEncoding("utf8").on("data", (t: string) => { err += t; });
    child.once("error", reject);
    child.once("close", (code) => {
      const ms = performance.now() - t0;
      if (code !== 0) reject(new Error(`bench: node ${argv.join(" ")} exited with ${code}: ${err}`));
      else resolve(ms);
    });
  });
}

async function benchCli(h: Host): Promise<BenchRow> {
  const verb = [BIN, "list", "--state", h.daemon.state];
  const base = ["-e", "0"];
  await timeProcess(verb);
  await timeProcess(base);
  const a: number[] = [], b: number[] = [];
  for (let i = 0; i < CLI_PAIRS; i++) {
    a.push(await timeProcess(verb));
    b.push(await timeProcess(base));
  }
  return {
    figure: `\`vnvdimm list\` as a process, daemon up, ${h.label} domains (median of ${CLI_PAIRS} alternating pairs)`,
    value: `${median(a).toFixed(0)} ms`, baseline: `${median(b).toFixed(0)} ms (node -e 0)`, ratio: ratioText(median(a.map((x, i) => x / b[i]!))), target: "≤ 1.5×",
  };
}

export async function benchLivingHost(): Promise<BenchRow[]> {
  const dir = tempDir("bench-live");
  const hosts: Host[] = [];
  try {
    process.stderr.write(`bench: living: two hosts, ${DOMAINS} domains created on one…\n`);
    hosts.push(await startHost("0", 0));
    hosts.push(await startHost(String(DOMAINS), DOMAINS));
    const [empty, full] = hosts as [Host, Host];
    const rows = await benchGets(hosts, dir);
    rows.push(await benchCycles(empty, full));
    rows.push(await benchCli(empty), await benchCli(full));
    return rows;
  } finally {
    for (const h of hosts) await stopHost(h);
    rmSync(dir, { recursive: true, force: true });
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href) {
  printRows(await benchLivingHost(), process.argv.includes("--json"));
}
