// What one fuzz target is: a fixture, how to mutate it, and the decoders to feed.
import type { MutationPlan } from "./mutate.js";

export interface Decoder {
  /** The public function under test; calls are counted per name. */
  readonly name: string;
  /** Runs on every n-th input only (for decoders that cost milliseconds). */
  readonly every?: number;
  /** True when the decoder documents a throw for this input (a RangeError for a short buffer). */
  documentedThrow?(input: Uint8Array): boolean;
  /** Calls the decoder (`variant` picks among option sets) and checks its result; `deep` enables costlier checks. */
  run(input: Uint8Array, variant: number, deep: boolean): { result: unknown; complaint?: string | undefined };
}

/** A decoder and the invariants of its result, typed; `check` returns a complaint or undefined. */
export function decoder<R>(d: {
  name: string;
  every?: number;
  documentedThrow?: (input: Uint8Array) => boolean;
  call: (input: Uint8Array, variant: number) => R;
  check?: (result: R, input: Uint8Array, deep: boolean, variant: number) => string | undefined;
}): Decoder {
  return {
    name: d.name,
    ...(d.every !== undefined ? { every: d.every } : {}),
    ...(d.documentedThrow ? { documentedThrow: d.documentedThrow } : {}),
    run(input, variant, deep) {
      const result = d.call(input, variant);
      return { result, complaint: d.check?.(result, input, deep, variant) };
    },
  };
}

export interface FuzzTarget {
  readonly name: string;
  readonly runs: number;
  readonly base: Uint8Array;
  readonly plan: MutationPlan;
  readonly decoders: readonly Decoder[];
  /** Every n-th input gets the costlier checks (copying 128 KiB is not free). */
  readonly sampleEvery: number;
}

/** Every reason code seen in this thread: how deep the mutations reach. */
export const reasonsSeen = new Set<string>();

/** A complaint unless every reason has a string code and message. */
export function checkReasons(rs: readonly { code: unknown; message: unknown }[], what: string): string | undefined {
  for (const r of rs) {
    if (typeof r.code !== "string" || typeof r.message !== "string") return `${what}: reason without a string code and message: ${String(r.code)}`;
    reasonsSeen.add(r.code);
  }
  return undefined;
}

/** JSON-friendly views must serialise as they are. */
export function checkJson(value: unknown, what: string): string | undefined {
  try {
    JSON.stringify(value);
    return undefined;
  } catch (e) {
    return `${what} is not JSON-safe: ${(e as Error).message}`;
  }
}

/** A canonical text of any decoder result (bigints and byte arrays included), for comparing two runs. */
export function canonical(value: unknown): string {
  return JSON.stringify(value, (_k, v: unknown) => (typeof v === "bigint" ? `${v}n` : v instanceof Uint8Array ? `bytes:${v.join(",")}` : v)) ?? "undefined";
}
