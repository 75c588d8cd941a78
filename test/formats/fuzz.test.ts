// Fuzzes every decoder and validator in src/formats with mutated fixtures
// (test/helpers/fuzz): nothing may throw except where documented, nothing may
// hang, and no input may be mutated. Each group runs in a worker thread so a
// hang is caught by the watchdog here instead of stalling CI.
//   FUZZ_SEED=0x…   replay a run (the seed is printed)
//   FUZZ_SCALE=10   ten times the inputs
//   FUZZ_BUDGET_MS  the wall-clock fuse for the whole file
import { test, type TestContext } from "node:test";
import assert from "node:assert/strict";
import { Worker } from "node:worker_threads";
import { GROUPS, type Group, type GroupResult } from "../helpers/fuzz/run.js";
import type { WorkerInput, WorkerMessage } from "../helpers/fuzz/worker.js";

const DEFAULT_SEED = 0x5eed_f00d;
const MIN_INPUTS = 100_000;
/** One input (every decoder on it) taking this long counts as a hang. */
const HANG_MS = 15_000;
/** A single decoder call this slow fails the run: decoders must be bounded by their input. */
const CALL_LIMIT_MS = 1_000;

function envNumber(name: string, fallback: number): number {
  const text = process.env[name];
  if (text === undefined || text === "") return fallback;
  const n = Number(text);
  if (!Number.isFinite(n) || n <= 0) throw new Error(`${name}=${text} is not a positive number`);
  return n;
}

const seed = envNumber("FUZZ_SEED", DEFAULT_SEED) >>> 0;
const scale = envNumber("FUZZ_SCALE", 1);
const budgetMs = envNumber("FUZZ_BUDGET_MS", 90_000 * Math.max(1, scale));

function runWorker(group: Group, deadline: number): Promise<GroupResult> {
  const heartbeat = new SharedArrayBuffer(8);
  const beat = new Int32Array(heartbeat);
  const workerData: WorkerInput = { group, seed, scale, deadline, heartbeat };
  const worker = new Worker(new URL("../helpers/fuzz/worker.js", import.meta.url), { workerData });
  return new Promise<GroupResult>((resolve, reject) => {
    let names: string[] = [];
    let last = "";
    let since = Date.now();
    const watchdog = setInterval(() => {
      const now = `${Atomics.load(beat, 0)}/${Atomics.load(beat, 1)}`;
      if (now !== last) {
        last = now;
        since = Date.now();
      } else if (Date.now() - since > HANG_MS) {
        clearInterval(watchdog);
        void worker.terminate();
        const target = names[Atomics.load(beat, 0)] ?? "?";
        reject(new Error(`${group}: no progress for ${HANG_MS} ms on ${target} input #${Atomics.load(beat, 1)} (seed 0x${seed.toString(16)})`));
      }
    }, 500);
    worker.on("message", (m: WorkerMessage) => {
      if (m.type === "start") {
        names = m.targets;
        return;
      }
      clearInterval(watchdog);
      resolve(m.result);
    });
    worker.once("error", (e) => {
      clearInterval(watchdog);
      reject(e);
    });
    worker.once("exit", (code) => {
      clearInterval(watchdog);
      reject(new Error(`${group}: worker exited (${code}) without a result`));
    });
  });
}

function report(t: TestContext, r: GroupResult): void {
  t.diagnostic(`${r.group}: ${r.inputs} inputs in ${(r.elapsedMs / 1000).toFixed(1)} s; ${r.sampled} checked for mutation`);
  t.diagnostic(`  ${r.reasons.length} reason codes reached: ${r.reasons.join(" ")}`);
  for (const x of r.targets) t.diagnostic(`  ${x.name}: ${x.inputs} inputs`);
  for (const [name, n] of Object.entries(r.calls)) t.diagnostic(`  ${name}: ${n} calls, slowest ${r.maxCallMs[name]!.toFixed(1)} ms`);
}

test("fuzz: every decoder and validator survives mutated fixtures", { concurrency: 2 }, async (t) => {
  t.diagnostic(`seed 0x${seed.toString(16)} (FUZZ_SEED), scale ${scale} (FUZZ_SCALE), budget ${budgetMs} ms (FUZZ_BUDGET_MS)`);
  const deadline = Date.now() + budgetMs;
  const results: GroupResult[] = [];
  await Promise.all(GROUPS.map((group) => t.test(group, async (st) => {
    const r = await runWorker(group, deadline);
    results.push(r);
    report(st, r);
    assert.deepEqual(r.failures, [], `${r.failureCount} failures (seed 0x${seed.toString(16)}); the first ones are listed`);
    assert.equal(r.exhausted, false, `${group}: the ${budgetMs} ms budget ran out after ${r.inputs} inputs`);
    for (const [name, ms] of Object.entries(r.maxCallMs)) assert.ok(ms < CALL_LIMIT_MS, `${name}: one call took ${ms.toFixed(0)} ms`);
  })));
  const total = results.reduce((n, r) => n + r.inputs, 0);
  const calls: Record<string, number> = {};
  for (const r of results) for (const [name, n] of Object.entries(r.calls)) calls[name] = (calls[name] ?? 0) + n;
  t.diagnostic(`total: ${total} mutated inputs; calls ${Object.entries(calls).map(([k, v]) => `${k} ${v}`).join(", ")}`);
  assert.equal(results.length, GROUPS.length);
  assert.ok(total >= Math.floor(MIN_INPUTS * Math.min(1, scale)), `only ${total} inputs ran; at least ${MIN_INPUTS} are required`);
});
