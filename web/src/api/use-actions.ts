// Runs the dashboard's actions one at a time, so there is always one clear
// answer to "what is happening": a busy line with the action's progress, then
// a one-line result or error with its hint. A 401 asks for the token and
// retries the same action once it is given.
import { useCallback, useRef, useState } from "react";
import { ApiError } from "./client";
import type { ProgressEvent } from "./types";

export interface Activity {
  id: string;
  label: string;
  progress?: { label: string; done: number; total: number };
}

export type Outcome = { kind: "ok"; text: string } | { kind: "error"; text: string; hint?: string };

export type ActionResult<T> = { ok: true; value: T } | { ok: false; error: ApiError };

export interface ActionOptions<T = unknown> {
  /** Said when the action succeeds; from the daemon's answer when it depends on it. */
  done: string | ((value: T) => string);
  /** The caller shows errors itself (a dialog that stays open to fix the input). */
  quietErrors?: boolean;
}

function newOperationId(): string {
  return typeof crypto.randomUUID === "function" ? crypto.randomUUID() : `op-${Date.now()}-${Math.random().toString(16).slice(2)}`;
}

function asApiError(e: unknown): ApiError {
  return e instanceof ApiError ? e : new ApiError(0, "bug", e instanceof Error ? e.message : String(e));
}

/** Asks for the token; `refused` when the one just given was turned down. Resolves false when the user gives up. */
export type AskToken = (reason: string, refused: boolean) => Promise<boolean>;

export function useActions(askToken: AskToken) {
  const [activity, setActivity] = useState<Activity | null>(null);
  const [outcome, setOutcome] = useState<Outcome | null>(null);
  const current = useRef<string | null>(null);

  const run = useCallback(async <T,>(label: string, fn: (operationId: string) => Promise<T>, opts: ActionOptions<T>): Promise<ActionResult<T>> => {
    setOutcome(null);
    let asked = false;
    for (;;) {
      const id = newOperationId();
      current.current = id;
      setActivity({ id, label });
      try {
        const value = await fn(id);
        setOutcome({ kind: "ok", text: typeof opts.done === "string" ? opts.done : opts.done(value) });
        return { ok: true, value };
      } catch (e) {
        const err = asApiError(e);
        if (err.needsToken) {
          current.current = null;
          setActivity(null);
          const again = await askToken(err.message, asked);
          asked = true;
          if (again) continue;
        }
        if (!opts.quietErrors) setOutcome({ kind: "error", text: err.message, ...(err.hint ? { hint: err.hint } : {}) });
        return { ok: false, error: err };
      } finally {
        if (current.current === id) { current.current = null; setActivity(null); }
      }
    }
  }, [askToken]);

  const onProgress = useCallback((p: ProgressEvent) => {
    setActivity((a) => (a && a.id === p.op ? { ...a, progress: { label: p.label, done: p.done, total: p.total } } : a));
  }, []);

  const dismiss = useCallback(() => setOutcome(null), []);

  return { activity, outcome, run, onProgress, dismiss, busy: activity !== null };
}
