// Runs one group of fuzz targets: mutate a fixture, feed every decoder, and
// record whatever escapes, complains, mutates its input or takes too long.
import { performance } from "node:perf_hooks";
import { Prng, deriveSeed } from "./prng.js";
import { Mutator } from "./mutate.js";
import { reasonsSeen, type FuzzTarget } from "./target.js";
import { labelTargets } from "./labels.js";
import { headerTargets, nfitTargets } from "./acpi.js";
import { infoBlockTargets } from "./infoblock.js";
import { e820Targets } from "./e820.js";

export const GROUPS = ["labels", "nfit", "infoblock", "e820", "acpi"] as const;
export type Group = (typeof GROUPS)[number];

const TARGETS: Readonly<Record<Group, (scale: number) => FuzzTarget[]>> = {
  labels: labelTargets, nfit: nfitTargets, infoblock: infoBlockTargets, e820: e820Targets, acpi: headerTargets,
};

export interface GroupResult {
  group: Group;
  inputs: number;
  targets: { name: string; inputs: number; wanted: number }[];
  /** Calls and the slowest call, per decoder name. */
  calls: Record<string, number>;
  maxCallMs: Record<string, number>;
  /** Distinct reason codes the decoders returned: how deep the mutations reached. */
  reasons: string[];
  /** Inputs compared before and after decoding. */
  sampled: number;
  failures: string[];
  failureCount: number;
  /** True when the deadline stopped the run early. */
  exhausted: boolean;
  elapsedMs: number;
}

const MAX_REPORTED = 12;

function errorText(e: unknown): string {
  return e instanceof Error ? `${e.name}: ${e.message}${e.stack ? ` @ ${e.stack.split("\n")[1]?.trim() ?? ""}` : ""}` : String(e);
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** `progress(target, input)` is called before each input, so a watchdog can name the one that hangs. */
export function runGroup(group: Group, seed: number, scale: number, deadline: number, progress: (target: number, input: number) => void): GroupResult {
  const started = performance.now();
  const r: GroupResult = { group, inputs: 0, targets: [], calls: {}, maxCallMs: {}, reasons: [], sampled: 0, failures: [], failureCount: 0, exhausted: false, elapsedMs: 0 };
  const fail = (text: string) => {
    if (r.failures.length < MAX_REPORTED) r.failures.push(text);
    r.failureCount++;
  };
  TARGETS[group](scale).forEach((t, ti) => {
    const rng = new Prng(deriveSeed(seed, t.name));
    const m = new Mutator(t.base, t.plan);
    let i = 0;
    for (; i < t.runs; i++) {
      if (i % 64 === 0 && Date.now() > deadline) {
        r.exhausted = true;
        break;
      }
      progress(ti, i);
      const { input, ops } = m.next(rng);
      const where = () => `${t.name} input #${i} [${ops.join("; ")}]`;
      const sampled = i % t.sampleEvery === 0;
      const before = sampled ? input.slice() : undefined;
      for (const d of t.decoders) {
        if (d.every !== undefined && i % d.every !== 0) continue;
        const t0 = performance.now();
        let complaint: string | undefined;
        const documented = d.documentedThrow?.(input) ?? false;
        try {
          complaint = d.run(input, sampled);
          if (documented) complaint = "returned where it documents a RangeError";
        } catch (e) {
          if (!documented || !(e instanceof RangeError)) complaint = `threw ${errorText(e)}`;
        }
        const ms = performance.now() - t0;
        r.calls[d.name] = (r.calls[d.name] ?? 0) + 1;
        r.maxCallMs[d.name] = Math.max(r.maxCallMs[d.name] ?? 0, ms);
        if (complaint !== undefined) fail(`${d.name} on ${where()}: ${complaint}`);
      }
      if (before) {
        r.sampled++;
        if (!sameBytes(before, input)) fail(`a decoder mutated its input: ${where()}`);
      }
      m.restore();
      if (sampled && !m.pristine()) throw new Error(`fuzz harness: work buffer not restored after ${where()}`);
      r.inputs++;
    }
    r.targets.push({ name: t.name, inputs: i, wanted: t.runs });
  });
  r.reasons = [...reasonsSeen].sort();
  r.elapsedMs = performance.now() - started;
  return r;
}
