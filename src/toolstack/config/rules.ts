// zod glue. Each key is checked by a function that returns a value or a
// Problem (what is wrong and what would fix it); zod runs the checks, rejects
// unknown keys and runs the cross-key checks. Problems travel in an issue's
// params and come back out as findings placed at the key or its value.
import { z } from "zod";
import { finding, type ConfigErrorCode, type Finding, type SourcePos } from "./config-error.js";

export interface Problem {
  code: ConfigErrorCode;
  what: string;
  hint: string;
  /** Point at the key rather than at its value. */
  atKey?: boolean;
}

export type Checked<T> = { ok: true; value: T } | { ok: false; problem: Problem };

export function ok<T>(value: T): Checked<T> {
  return { ok: true, value };
}

export function bad(code: ConfigErrorCode, what: string, hint: string, atKey = false): { ok: false; problem: Problem } {
  return { ok: false, problem: { code, what, hint, ...(atKey ? { atKey } : {}) } };
}

export const badValue = (what: string, hint: string) => bad("config.bad-value", what, hint);

/** A zod schema for one key: `check` sees `undefined` when the key is absent, so it also decides defaults. */
export function rule<I, O>(check: (input: I | undefined) => Checked<O>) {
  return z.custom<I>().optional().transform((input, ctx): O => {
    const r = check(input);
    if (r.ok) return r.value;
    ctx.addIssue({ code: "custom", message: r.problem.what, params: { ...r.problem }, input });
    return z.NEVER;
  });
}

/** Reports a cross-key problem at `key`, from a superRefine. */
export function addProblem(ctx: z.RefinementCtx, key: string, problem: Problem): void {
  ctx.addIssue({ code: "custom", path: [key], message: problem.what, params: { ...problem } });
}

/** Where a key and its value are written. */
export interface Place {
  keyAt: SourcePos;
  valueAt: SourcePos;
}

export interface IssueSite {
  /** Prepended to each key, e.g. `vnvdimms[1].`. */
  keyPrefix: string;
  places: ReadonlyMap<string, Place>;
  /** Where problems of absent keys are reported. */
  fallback: SourcePos;
  unknownKey: (key: string) => Problem;
}

function isProblem(p: unknown): p is Problem {
  if (typeof p !== "object" || p === null) return false;
  const r = p as Record<string, unknown>;
  return typeof r.code === "string" && typeof r.what === "string" && typeof r.hint === "string";
}

export function findingsFromIssues(issues: readonly z.core.$ZodIssue[], site: IssueSite): Finding[] {
  const out: Finding[] = [];
  const place = (key: string, problem: Problem) => {
    const p = site.places.get(key);
    const at = p === undefined ? site.fallback : problem.atKey ? p.keyAt : p.valueAt;
    out.push(finding(problem.code, at, site.keyPrefix + key, problem.what, problem.hint));
  };
  for (const issue of issues) {
    const key = issue.path.length > 0 ? String(issue.path[0]) : "";
    if (issue.code === "unrecognized_keys") {
      for (const k of issue.keys) place(k, { ...site.unknownKey(k), atKey: true });
    } else if (issue.code === "custom" && isProblem(issue.params)) {
      place(key, issue.params);
    } else {
      place(key, { code: "config.bad-value", what: issue.message, hint: "" });
    }
  }
  return out;
}
