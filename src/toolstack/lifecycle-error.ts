// The lifecycle's one error: a domain verb refused, with what to do instead.
export class LifecycleError extends Error {
  constructor(readonly code: "domain.exists" | "domain.missing" | "domain.running" | "domain.stopped" | "domain.interrupted" | "domain.changed" | "domain.memory" | "alloc.failed" | "alloc.node" | "vnvdimm.missing", message: string, readonly hint?: string, readonly exit = 1) {
    super(message);
    this.name = "LifecycleError";
  }
  toJSON(): object {
    return { error: this.code, message: this.message, ...(this.hint ? { hint: this.hint } : {}) };
  }
}
