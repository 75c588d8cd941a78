// The qemu backend's benchmarks, side by side in one run:
//  - `vnvdimm create` (a new process, as a user runs it) until the guest's
//    first line on the serial console, against the bare qemu-system-x86_64
//    command with the same memory and NVDIMM configuration (the argv vnvdimm
//    launched, run directly), in alternating rounds;
//  - a cold build of the guest image (into a scratch cache), stated;
//  - the cached build, and the whole idempotent `vnvdimm setup qemu`.
import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import { fileURLToPath } from "node:url";
import { setTimeout as sleep } from "node:timers/promises";
import { QEMU_BINARY, buildGuestImage, qemuDomainPaths, readRunRecord, runningPid, signal, waitExit } from "../src/backends/index.js";
import { qemuUnavailable } from "../test/helpers/qemu.js";
import { ratioText, type BenchRow } from "./table.js";

const BIN = fileURLToPath(new URL("../../bin/vnvdimm", import.meta.url));
const ROUNDS = 5;
const CONFIG = `name = "bench"\nmemory = 512\nvnvdimms = [ 'size=256M, namespace=fsdax:data', 'size=64M, node=1, namespace=raw:scratch' ]\n`;

function vnvdimm(state: string, ...argv: string[]): string {
  const r = spawnSync(process.execPath, [BIN, ...argv, "--state", state], { encoding: "utf8" });
  if (r.status !== 0) throw new Error(`bench: vnvdimm ${argv.join(" ")}: ${r.stderr}`);
  return r.stdout;
}

/** Polls a console log until it holds a complete first line; returns when it does. */
async function firstLine(path: string, timeoutMs = 60_000): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  while (performance.now() < deadline) {
    try {
      if (readFileSync(path, "latin1").includes("\n")) return;
    } catch { /* not created yet */ }
    await sleep(2);
  }
  throw new Error(`bench: no guest output in ${path}`);
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[xs.length >> 1]!;
const seconds = (ms: number) => `${(ms / 1000).toFixed(2)} s`;

async function createToFirstLine(state: string, cfg: string): Promise<{ ms: number; argv: string[] }> {
  const p = qemuDomainPaths(state, "bench");
  rmSync(p.console, { force: true });
  rmSync(p.previousConsole, { force: true });
  const t0 = performance.now();
  // --force: each round provisions the extent the previous round left labelled.
  vnvdimm(state, "create", cfg, "--backend", "qemu", "--force");
  await firstLine(p.console);
  const ms = performance.now() - t0;
  const argv = readRunRecord(p)!.argv;
  // Not timed: QMP quit is enough to end a guest that is still booting.
  vnvdimm(state, "destroy", "bench");
  vnvdimm(state, "delete", "bench");
  return { ms, argv };
}

/** The same argv, run directly; its sockets, pid file and console moved to a scratch directory. */
async function bareToFirstLine(argv: string[], state: string, scratch: string): Promise<number> {
  const p = qemuDomainPaths(state, "bench");
  const swap = new Map([[p.console, join(scratch, "console.log")], [p.qmp, join(scratch, "qmp.sock")], [p.agent, join(scratch, "agent.sock")], [p.pid, join(scratch, "qemu.pid")]]);
  const bare = argv.map((a) => [...swap].reduce((s, [from, to]) => s.replaceAll(from, to), a));
  for (const f of swap.values()) rmSync(f, { force: true });
  const t0 = performance.now();
  const r = spawnSync(QEMU_BINARY, bare, { stdio: "ignore" });
  if (r.status !== 0) throw new Error("bench: the bare QEMU command failed");
  await firstLine(join(scratch, "console.log"));
  const ms = performance.now() - t0;
  const pid = Number(readFileSync(join(scratch, "qemu.pid"), "utf8"));
  signal(pid, "SIGKILL");
  await waitExit({ ...p, pid: join(scratch, "qemu.pid") }, pid, 10_000);
  return ms;
}

export async function benchQemu(): Promise<BenchRow[]> {
  const why = qemuUnavailable();
  if (why) {
    process.stderr.write(`bench: qemu skipped: ${why} (run \`vnvdimm setup qemu\`)\n`);
    return [];
  }
  const rows: BenchRow[] = [];

  const cache = mkdtempSync(join(tmpdir(), "vnvdimm-bench-cache-"));
  try {
    const cold = buildGuestImage({ dir: cache, force: true });
    const cached = buildGuestImage({ dir: cache });
    if (!cold.built || cached.built) throw new Error("bench: the image build did not behave (cold must build, cached must not)");
    rows.push({ figure: `guest image, cold build (initramfs ${(cold.initrdBytes / 2 ** 20).toFixed(1)} MiB, Linux ${cold.kernelVersion})`, value: seconds(cold.seconds * 1000), baseline: "—", ratio: "—", target: "state it" });
    rows.push({ figure: "guest image, cached build (stamp of every input checked)", value: seconds(cached.seconds * 1000), baseline: seconds(cold.seconds * 1000) + " (cold)", ratio: ratioText(cached.seconds / cold.seconds), target: "≤ 2 s" });
  } finally {
    rmSync(cache, { recursive: true, force: true });
  }
  const t0 = performance.now();
  spawnSync(process.execPath, [BIN, "setup", "qemu"], { stdio: "ignore" });
  rows.push({ figure: "`vnvdimm setup qemu` when everything is in place (a process: dpkg, QEMU version, image stamp, KVM probe result)", value: seconds(performance.now() - t0), baseline: "—", ratio: "—", target: "≤ 2 s" });

  const dir = mkdtempSync(join(tmpdir(), "vnvdimm-bench-qemu-"));
  const state = join(dir, "state");
  const scratch = join(dir, "bare");
  mkdirSync(scratch);
  try {
    writeFileSync(join(dir, "machine.json"), JSON.stringify({ name: "bench", sockets: [{ node: 0, ram: "1G" }, { node: 1, ram: "1G" }], nvdimms: [{ node: 0, size: "1G" }, { node: 1, size: "1G" }] }));
    vnvdimm(state, "host", "init", "--spec", join(dir, "machine.json"));
    vnvdimm(state, "pmem", "reserve", "--dimm", "0");
    vnvdimm(state, "pmem", "reserve", "--dimm", "1");
    const cfg = join(dir, "bench.cfg");
    writeFileSync(cfg, CONFIG);
    // One warm-up of each (page cache, first QEMU start), then alternating rounds.
    const warm = await createToFirstLine(state, cfg);
    await bareToFirstLine(warm.argv, state, scratch);
    const ours: number[] = [], bare: number[] = [], ratios: number[] = [];
    for (let i = 0; i < ROUNDS; i++) {
      const v = await createToFirstLine(state, cfg);
      const b = await bareToFirstLine(v.argv, state, scratch);
      ours.push(v.ms);
      bare.push(b);
      ratios.push(v.ms / b);
    }
    rows.push({
      figure: `\`vnvdimm create\` (new process, fresh domain: allocate, provision, launch) → guest's first console line; 512 MiB, 2 vNVDIMMs, TCG, median of ${ROUNDS}`,
      value: seconds(median(ours)), baseline: `${seconds(median(bare))} (the same qemu-system-x86_64 argv, run bare)`, ratio: ratioText(median(ratios)), target: "≤ 1.10×",
    });
  } finally {
    const p = qemuDomainPaths(state, "bench");
    const pid = runningPid(p);
    if (pid) signal(pid, "SIGKILL");
    rmSync(dir, { recursive: true, force: true });
  }
  return rows;
}
