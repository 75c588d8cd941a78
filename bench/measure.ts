// Timing for the benchmarks: warm up, size the rounds, then time an operation
// and its baseline in alternating rounds (so both see the same machine) and
// keep the median of each.
import { performance } from "node:perf_hooks";

export interface PairTiming {
  opNs: number;
  baselineNs: number;
  /** The median of the per-round ratios op / baseline: adjacent rounds share the machine's state. */
  ratio: number;
  rounds: number;
}

export interface MeasureOptions {
  /** Time for warming up both functions. */
  warmupMs?: number;
  /** Length of one timed round of one function. */
  roundMs?: number;
  rounds?: number;
}

/** Keeps results alive so the optimiser cannot drop the work. */
let sink = 0;
export function consume(x: number): void {
  sink = (sink + x) | 0;
}
export function sinkValue(): number {
  return sink;
}

function runFor(fn: () => void, ms: number): number {
  const end = performance.now() + ms;
  let n = 0;
  while (performance.now() < end) {
    fn();
    n++;
  }
  return n;
}

function timeRound(fn: () => void, ops: number): number {
  const t0 = performance.now();
  for (let i = 0; i < ops; i++) fn();
  return ((performance.now() - t0) * 1e6) / ops;
}

function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

/**
 * Median ns/op of `op` and of `baseline`. Each case costs about
 * 2 × warmupMs + 2 × rounds × roundMs (1.35 s with the defaults).
 */
export function measurePair(op: () => void, baseline: () => void, opts: MeasureOptions = {}): PairTiming {
  const { warmupMs = 150, roundMs = 25, rounds = 21 } = opts;
  // Warm-up doubles as calibration: how many calls fill one round.
  const opsOp = Math.max(1, Math.round((runFor(op, warmupMs) * roundMs) / warmupMs));
  const opsBase = Math.max(1, Math.round((runFor(baseline, warmupMs) * roundMs) / warmupMs));
  const a: number[] = [];
  const b: number[] = [];
  for (let i = 0; i < rounds; i++) {
    a.push(timeRound(op, opsOp));
    b.push(timeRound(baseline, opsBase));
  }
  return { opNs: median(a), baselineNs: median(b), ratio: median(a.map((x, i) => x / b[i]!)), rounds };
}
