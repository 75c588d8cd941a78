// `vnvdimm up` itself: the first run sets up the default playground, a second
// run finds it with its data, Ctrl-C stops cleanly, and an explicit --state
// gets nothing written without the flags that ask for it.
import { test } from "node:test";
import assert from "node:assert/strict";
import { existsSync, readdirSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { join } from "node:path";
import { isLoopback } from "../../src/server/index.js";
import { api, runCli, smallSpecFile, startDaemon, tempDir } from "./daemon.js";

type Json = Record<string, unknown>;

test("first run in ./.vnvdimm: host, reservations and a running demo domain; a second run finds them, data intact; SIGINT stops cleanly", async () => {
  const cwd = tempDir("up-default");
  const state = join(cwd, ".vnvdimm");
  const first = await startDaemon(state, [], { cwd });
  let extents: unknown;
  const note = Buffer.from("written before the restart");
  try {
    const doms = (await api(first, "GET", "/api/domains")).body as { domains: Json[] };
    assert.deepEqual(doms.domains.map((x) => [x["name"], x["status"], x["backend"]]), [["demo", "running", "builtin"]]);
    extents = doms.domains[0]!["vnvdimms"];
    const ns = (await api(first, "GET", "/api/domains/demo/namespaces")).body as { namespaces: Json[] };
    assert.deepEqual(ns.namespaces.map((n) => n["mode"]), ["fsdax", "raw"]);
    const w = await api(first, "POST", "/api/domains/demo/namespaces/scratch/data", { offset: 512, base64: note.toString("base64") }, first.token);
    assert.equal(w.status, 200, w.text);
  } finally {
    // An open event stream is ended by the shutdown, not reset.
    const events = await fetch(new URL("api/events", first.url));
    const drained = (async () => { let n = 0; for await (const c of events.body as AsyncIterable<Uint8Array>) n += c.length; return n; })();
    const end = await first.stop("SIGINT");
    assert.equal(end.code, 0, end.stderr);
    assert.ok((await drained) > 0, "the stream said hello, then ended cleanly");
  }
  assert.ok(!existsSync(join(state, "daemon.json")), "daemon.json removed");
  assert.ok(!existsSync(join(state, "api-token")), "token removed");

  const second = await startDaemon(state, [], { cwd });
  try {
    const doms = (await api(second, "GET", "/api/domains")).body as { domains: Json[] };
    assert.deepEqual(doms.domains.map((x) => [x["name"], x["status"]]), [["demo", "running"]]);
    assert.deepEqual(doms.domains[0]!["vnvdimms"], extents, "the same host pages");
    const r = await api(second, "GET", `/api/domains/demo/namespaces/scratch/data?offset=512&length=${note.length}`, undefined, second.token);
    assert.equal(Buffer.from((r.body as { base64: string }).base64, "base64").toString(), note.toString());
    assert.equal(readdirSync(join(state, "host")).filter((f) => f.endsWith(".img")).length, 2);
  } finally {
    const end = await second.stop();
    assert.equal(end.code, 0, end.stderr);
    assert.doesNotMatch(end.stderr, /warning/, "nothing to warn about on a second run");
  }
});

test("text output: what was set up, and the URL with its token", async () => {
  const cwd = tempDir("up-text");
  const state = join(cwd, "s");
  const child = await import("node:child_process");
  const p = child.spawn(process.execPath, [join(import.meta.dirname, "..", "..", "..", "bin", "vnvdimm"), "up", "--state", state, "--init", "--demo", "--port", "0"], { stdio: ["ignore", "pipe", "pipe"] });
  let out = "";
  p.stdout.setEncoding("utf8").on("data", (t: string) => { out += t; });
  const exited = new Promise<number | null>((r) => p.once("exit", r));
  while (!out.includes("Ctrl-C stops.")) {
    if (p.exitCode !== null) break;
    await new Promise((r) => setTimeout(r, 50));
  }
  p.kill("SIGTERM");
  assert.equal(await exited, 0);
  assert.match(out, /^vnvdimm up: created host "default" with 2 NVDIMMs\nvnvdimm up: reserved pmem on NVDIMM 0 \(a management area on it; frame table in ram\)\nvnvdimm up: reserved pmem on NVDIMM 1 \(no management area; frame table in ram\)\nvnvdimm up: created domain demo \(domid 1\)\n/);
  assert.match(out, /dashboard: http:\/\/127\.0\.0\.1:\d+\/#token=[A-Za-z0-9_-]{32}\n/);
  assert.match(out, /vnvdimm up: stopped \(SIGTERM\)\n$/);
});

test("an explicit --state gets nothing created without --init / --demo, and says what is missing in one line", async () => {
  const dir = tempDir("up-explicit");
  const state = join(dir, "state");
  const none = await runCli(["up", "--state", state, "--port", "0"]);
  assert.equal(none.code, 2);
  assert.equal(none.err, `vnvdimm: No host in ${state}\n  hint: pass --init to create an emulated host there (add --demo for a demo domain)\n`);
  assert.ok(!existsSync(state), "nothing written");

  assert.equal((await runCli(["host", "init", "--state", state, "--spec", smallSpecFile(dir)])).code, 0);
  const d = await startDaemon(state);
  try {
    const doms = (await api(d, "GET", "/api/domains")).body as { domains: unknown[] };
    assert.deepEqual(doms.domains, [], "no demo without --demo");
    const regions = (await api(d, "GET", "/api/pmem/regions?types=data")).body as { regions: unknown[] };
    assert.deepEqual(regions.regions, [], "no reservation without --init");
  } finally {
    const end = await d.stop();
    assert.match(end.stderr, /warning: no pmem is reserved on this host.*pass --init/);
  }
});

test("one daemon per state; host init refuses under it; a busy port is one line; a stale daemon.json is ignored", async () => {
  const dir = tempDir("up-conflicts");
  const state = join(dir, "state");
  assert.equal((await runCli(["host", "init", "--state", state, "--spec", smallSpecFile(dir)])).code, 0);
  const d = await startDaemon(state);
  try {
    const twice = await runCli(["up", "--state", state, "--port", "0"]);
    assert.equal(twice.code, 1);
    assert.match(twice.err, new RegExp(`^vnvdimm: vnvdimm up is already serving ${state} at http://127\\.0\\.0\\.1:\\d+/ \\(pid ${d.child.pid}\\)\\n  hint: `));
    const init = await runCli(["host", "init", "--state", state, "--force"]);
    assert.equal(init.code, 1);
    assert.match(init.err, /host init would replace its media/);
  } finally {
    await d.stop();
  }

  const blocker = createServer();
  await new Promise<void>((r) => blocker.listen(0, "127.0.0.1", r));
  const port = (blocker.address() as { port: number }).port;
  try {
    const busy = await runCli(["up", "--state", state, "--port", String(port)]);
    assert.equal(busy.code, 1);
    assert.match(busy.err, new RegExp(`vnvdimm: Port ${port} on 127\\.0\\.0\\.1 is in use\\n  hint: pass --port N`));
    assert.ok(!existsSync(join(state, "daemon.json")));
  } finally {
    blocker.close();
  }

  // A daemon killed with -9 leaves its record; the CLI and the next up see through it.
  writeFileSync(join(state, "daemon.json"), JSON.stringify({ pid: 2 ** 22 + 1, url: "http://127.0.0.1:9/", bind: "127.0.0.1", port: 9, startedAt: "x" }));
  const list = await runCli(["list", "--state", state, "--json"]);
  assert.equal(list.code, 0, list.err);
  const again = await startDaemon(state);
  await again.stop();
});

test("isLoopback: only loopback binds count as private", () => {
  for (const a of ["127.0.0.1", "127.1.2.3", "::1", "localhost"]) assert.ok(isLoopback(a), a);
  for (const a of ["0.0.0.0", "::", "192.168.1.5", "10.0.0.1"]) assert.ok(!isLoopback(a), a);
});
