// Validation reasons and the one error type for bad input (DESIGN.md, "Three
// kinds of error"). Validators return reasons; they never throw for bad input.

/** A typed validation reason: a stable code plus the data that explains it. */
export interface Reason {
  readonly code: string;
  readonly message: string;
  readonly [key: string]: unknown;
}

export function reason<C extends string>(code: C, message: string, data: Record<string, unknown> = {}): Reason & { code: C } {
  return { code, message, ...data };
}

/** Bad input, for callers that must stop: carries the reasons, and prints as one line. */
export class FormatError extends Error {
  readonly code: string;
  readonly reasons: readonly Reason[];
  constructor(what: string, reasons: readonly Reason[]) {
    const first = reasons[0];
    super(`${what}: ${first ? first.message : "invalid"}`);
    this.name = "FormatError";
    this.code = first?.code ?? "invalid";
    this.reasons = reasons;
  }
  toJSON(): object {
    return { error: this.name, code: this.code, message: this.message, reasons: this.reasons };
  }
}

/** Programmer bugs are assertions, not input errors. */
export function assert(cond: unknown, msg: string): asserts cond {
  if (!cond) throw new Error(`assertion failed: ${msg}`);
}
