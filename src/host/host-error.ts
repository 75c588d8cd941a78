// The one error type of src/host for a host's state: missing, existing,
// corrupt, or a state directory that is not one.
export class HostError extends Error {
  constructor(readonly code: "host.exists" | "host.missing" | "host.corrupt" | "host.state-dir", message: string, readonly hint?: string) {
    super(message);
    this.name = "HostError";
  }
  toJSON(): object {
    return { error: this.code, message: this.message, ...(this.hint ? { hint: this.hint } : {}) };
  }
}
