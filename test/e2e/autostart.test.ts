// The living host on first use: a stateful verb that finds no host starts one
// in the background and uses it over the Unix socket in the state directory
// (mode 0600); `host stop` and the API stop it cleanly; it goes by itself
// when its state directory is removed or (started in the background) when
// idle; ten CLIs finding no host at once start exactly one; and
// VNVDIMM_NO_AUTOSTART=1 keeps a verb in its own process.
import { test } from "node:test";
import assert from "node:assert/strict";
import { existsSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { readLedger } from "../../src/toolstack/index.js";
import { tryHostLock } from "../../src/toolstack/host-lock.js";
import { api, initReservedHost, runCli, smallSpecFile, startDaemon, tempDir } from "../api/daemon.js";

const NO_AUTOSTART = { VNVDIMM_NO_AUTOSTART: "1" };
const sock = (state: string) => join(state, "host.sock");
const hostPid = (state: string): number => (JSON.parse(readFileSync(join(state, "daemon.json"), "utf8")) as { pid: number }).pid;
const starts = (state: string) => (readFileSync(join(state, "host.log"), "utf8").match(/host started on first use/g) ?? []).length;

function alive(pid: number): boolean {
  try { process.kill(pid, 0); return true; } catch { return false; }
}

async function gone(pid: number, ms: number): Promise<boolean> {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    if (!alive(pid)) return true;
    await sleep(50);
  }
  return !alive(pid);
}

/** A reserved small host that no host serves yet: set up with the escape hatch. */
async function quietHost(prefix: string): Promise<{ dir: string; state: string; cfg: (n: string, v?: string) => string }> {
  const dir = tempDir(prefix);
  const state = join(dir, "s");
  await initReservedHost(state, smallSpecFile(dir), NO_AUTOSTART);
  assert.ok(!existsSync(sock(state)), "no host was started while setting up");
  const cfg = (n: string, v = "'size=32M, namespace=fsdax:d', 'size=16M'") => {
    const p = join(dir, `${n}.cfg`);
    writeFileSync(p, `name = "${n}"\nmemory = 256\nvnvdimms = [ ${v} ]\n`);
    return p;
  };
  return { dir, state, cfg };
}

async function ok(args: string[], env: NodeJS.ProcessEnv = {}): Promise<string> {
  const r = await runCli(args, env);
  assert.equal(r.code, 0, `vnvdimm ${args.join(" ")}: ${r.err}`);
  return r.out;
}

test("a verb with no host starts one (socket 0600, log in the state dir), the next verb uses it, and host stop stops it cleanly", { timeout: 120_000 }, async () => {
  const { dir, state, cfg } = await quietHost("autostart");
  try {
    assert.match(await ok(["create", cfg("vm1"), "--state", state]), /Created domain vm1/);
    const st = statSync(sock(state));
    assert.ok(st.isSocket(), "host.sock is a socket");
    assert.equal(st.mode & 0o777, 0o600, "host.sock is mode 0600");
    const pid = hostPid(state);
    assert.ok(alive(pid));
    assert.equal(starts(state), 1);
    // A hotplug reaches the running guest only on a living host: the create's host is still there.
    const attached = JSON.parse(await ok(["attach", "vm1", "size=16M", "--state", state, "--json"])) as { hotplugged: boolean };
    assert.equal(attached.hotplugged, true, "the running guest got the hotplug");
    assert.equal(hostPid(state), pid, "the same host served both");
    assert.equal(starts(state), 1);

    const stop = await ok(["host", "stop", "--state", state]);
    assert.equal(stop, `Stopped the host for ${state} (pid ${pid})\n`);
    assert.ok(await gone(pid, 10_000), "the host process exited");
    assert.ok(!existsSync(sock(state)), "the socket is removed");
    assert.ok(!existsSync(join(state, "daemon.json")), "daemon.json is removed");
    const lock = tryHostLock(join(state, "host.lock"));
    assert.ok("lock" in lock, "the host lock is free");
    lock.lock.release();
    assert.match(readFileSync(join(state, "host.log"), "utf8"), /stopped \(host stop\)/);
    assert.match(await ok(["host", "stop", "--state", state]), /^No host runs for /);

    // The builtin guest powered off with its host; the next verb starts a host that boots it again on its pages.
    const again = JSON.parse(await ok(["list", "--state", state, "--json"])) as { domains: { name: string; status: string; vnvdimms: unknown[] }[] };
    assert.deepEqual(again.domains.map((d) => [d.name, d.status, d.vnvdimms.length]), [["vm1", "running", 3]]);
    assert.notEqual(hostPid(state), pid, "a new host");
    assert.equal(starts(state), 2);
    const pid2 = hostPid(state);
    assert.deepEqual(JSON.parse(await ok(["host", "stop", "--state", state, "--json"])), { state, stopped: true, pid: pid2 });
    assert.ok(await gone(pid2, 10_000));
  } finally {
    await runCli(["host", "stop", "--state", state]);
    rmSync(dir, { recursive: true, force: true });
  }
});

test("VNVDIMM_NO_AUTOSTART=1 runs the verb in its own process and starts no host", { timeout: 60_000 }, async () => {
  const { dir, state, cfg } = await quietHost("no-autostart");
  try {
    assert.match(await ok(["create", cfg("vm1"), "--state", state], NO_AUTOSTART), /Created domain vm1/);
    const attached = JSON.parse(await ok(["attach", "vm1", "size=16M", "--state", state, "--json"], NO_AUTOSTART)) as { hotplugged: boolean };
    assert.equal(attached.hotplugged, false, "no running guest to tell");
    assert.ok(!existsSync(sock(state)) && !existsSync(join(state, "host.log")), "no host was started");
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("a host started in the background stops when its state directory is removed, and when idle", { timeout: 60_000 }, async () => {
  const a = await quietHost("removed");
  await ok(["list", "--state", a.state]);
  const pid = hostPid(a.state);
  rmSync(a.dir, { recursive: true, force: true });
  assert.ok(await gone(pid, 10_000), "the host left with its state directory");

  const b = await quietHost("idle");
  try {
    await ok(["list", "--state", b.state], { VNVDIMM_HOST_IDLE: "1" });
    const idle = hostPid(b.state);
    assert.ok(await gone(idle, 10_000), "the host stopped after a second without a request");
    assert.match(readFileSync(join(b.state, "host.log"), "utf8"), /stopped \(idle\)/);
    assert.ok(!existsSync(sock(b.state)));
  } finally {
    rmSync(b.dir, { recursive: true, force: true });
  }
});

test("ten CLIs finding no host at once start exactly one; every command succeeds or is refused in one line; no extent owned twice", { timeout: 300_000 }, async () => {
  const { dir, state, cfg } = await quietHost("race");
  try {
    const names = Array.from({ length: 10 }, (_, i) => `d${i}`);
    const runs = await Promise.all(names.map((n) => runCli(["create", cfg(n), "--state", state])));
    for (const [i, r] of runs.entries()) {
      assert.ok(r.code === 0 || r.code === 1, `create ${names[i]}: exit ${r.code}\n${r.err}`);
      if (r.code !== 0) assert.equal(r.err.trim().split("\n").filter((l) => !l.startsWith("  hint:")).length, 1, `one line: ${r.err}`);
    }
    assert.equal(starts(state), 1, "one host was started");
    const created = names.filter((_, i) => runs[i]!.code === 0);
    assert.ok(created.length >= 8, `most creates succeeded: ${runs.map((r) => r.err).join("")}`);
    const l = readLedger(state);
    assert.deepEqual(l.domains.map((d) => d.name).sort(), created.sort(), "the ledger holds exactly the domains created");
    const extents = l.domains.flatMap((d) => d.extents.map((e) => [e.smfn, e.smfn + e.nrPages, d.name] as const)).sort((x, y) => x[0] - y[0]);
    for (let i = 1; i < extents.length; i++) assert.ok(extents[i - 1]![1] <= extents[i]![0], `${extents[i - 1]![2]} and ${extents[i]![2]} share pages`);
  } finally {
    await runCli(["host", "stop", "--state", state]);
    rmSync(dir, { recursive: true, force: true });
  }
});

test("a foreground up serves the CLI on its socket; POST /api/host/stop stops it (token required), and no second host starts beside it", { timeout: 120_000 }, async () => {
  const { dir, state } = await quietHost("fg-stop");
  const d = await startDaemon(state);
  try {
    assert.equal(statSync(sock(state)).mode & 0o777, 0o600);
    await ok(["list", "--state", state]);
    assert.ok(!existsSync(join(state, "host.log")), "the CLI used the foreground host and started none");
    const refused = await runCli(["up", "--state", state, "--port", "0", "--background"]);
    assert.equal(refused.code, 1);
    assert.match(refused.err, new RegExp(`^vnvdimm: vnvdimm up is already serving ${state} at http://127\\.0\\.0\\.1:\\d+/ \\(pid ${d.child.pid}\\)\\n`));
    assert.equal((await api(d, "POST", "/api/host/stop", {})).status, 401);
    const r = await api(d, "POST", "/api/host/stop", {}, d.token);
    assert.equal(r.status, 202, r.text);
    assert.deepEqual(r.body, { pid: d.child.pid, state, stopping: true });
    const end = await d.exited;
    assert.equal(end.code, 0);
    assert.ok(!existsSync(sock(state)), "socket removed");
  } finally {
    await d.stop();
    rmSync(dir, { recursive: true, force: true });
  }
});
