// Runs one group of fuzz targets: mutate a fixture, feed every decoder, and
// record whatever escapes, complains, mutates its input or takes too long.
import { performance } from "node:perf_hooks";
import { Prng, deriveSeed } from "./prng.js";
import { Mutator } from "./mutate.js";
import { canonical, reasonsSeen, type Decoder, type FuzzTarget } from "./target.js";
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

/** The same bytes as a view at byte offset 1 of a larger buffer, as a subarray of a file read would be. */
function offsetCopy(input: Uint8Array): Uint8Array {
  const out = new Uint8Array(input.length + 2).subarray(1, input.length + 1);
  out.set(input);
  return out;
}

/** One decoder call: its result, or a complaint about what it threw or returned. */
function call(d: Decoder, input: Uint8Array, variant: number, deep: boolean): { result: unknown; complaint?: string | undefined } {
  const documented = d.documentedThrow?.(input) ?? false;
  try {
    const out = d.run(input, variant, deep);
    return documented ? { result: out.result, complaint: "returned where it documents a RangeError" } : out;
  } catch (e) {
    return { result: e instanceof Error ? e.name : e, complaint: documented && e instanceof RangeError ? undefined : `threw ${errorText(e)}` };
  }
}

/**
 * Calls one decoder, counts and times it, and returns a complaint or
 * undefined. With a `snapshot` of the input it also checks that the input
 * is unchanged and that the bytes decode alike at an odd buffer offset.
 */
function feed(r: GroupResult, d: Decoder, input: Uint8Array, variant: number, snapshot: Uint8Array | undefined): string | undefined {
  const t0 = performance.now();
  const { result, complaint } = call(d, input, variant, snapshot !== undefined);
  const ms = performance.now() - t0;
  r.calls[d.name] = (r.calls[d.name] ?? 0) + 1;
  r.maxCallMs[d.name] = Math.max(r.maxCallMs[d.name] ?? 0, ms);
  if (complaint !== undefined || snapshot === undefined) return complaint;
  if (!sameBytes(snapshot, input)) {
    snapshot.set(input);
    return "mutated its input";
  }
  if (canonical(call(d, offsetCopy(input), variant, false).result) !== canonical(result)) {
    return "the result changes when the bytes sit at an odd offset in their buffer";
  }
  return undefined;
}

/**
 * Runs every target of `group`. `start` gets the target names; `progress(target, input)`
 * is called before each input, so that a watchdog can name the one that hangs.
 */
export function runGroup(
  group: Group, seed: number, scale: number, deadline: number,
  start: (targets: string[]) => void, progress: (target: number, input: number) => void,
): GroupResult {
  const started = performance.now();
  const r: GroupResult = { group, inputs: 0, targets: [], calls: {}, maxCallMs: {}, reasons: [], sampled: 0, failures: [], failureCount: 0, exhausted: false, elapsedMs: 0 };
  const fail = (text: string) => {
    if (r.failures.length < MAX_REPORTED) r.failures.push(text);
    r.failureCount++;
  };
  const targets = TARGETS[group](scale);
  start(targets.map((t) => t.name));
  targets.forEach((t, ti) => {
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
      const snapshot = i % t.sampleEvery === 0 ? input.slice() : undefined;
      for (const d of t.decoders) {
        if (d.every !== undefined && i % d.every !== 0) continue;
        const complaint = feed(r, d, input, i, snapshot);
        if (complaint !== undefined) fail(`${d.name} on ${where()}: ${complaint}`);
      }
      if (snapshot) r.sampled++;
      m.restore();
      if (snapshot && !m.pristine()) throw new Error(`fuzz harness: work buffer not restored after ${where()}`);
      r.inputs++;
    }
    r.targets.push({ name: t.name, inputs: i, wanted: t.runs });
  });
  r.reasons = [...reasonsSeen].sort();
  r.elapsedMs = performance.now() - started;
  return r;
}
