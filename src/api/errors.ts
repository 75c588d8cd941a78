// Errors a user can act on. Each prints as one line with a hint; the CLI maps
// `exit` to its status (README "Exit status") and HTTP to a 4xx.

export type UserErrorCode = "usage" | "not-found" | "io" | "invalid-input";

export class UserError extends Error {
  readonly code: UserErrorCode;
  readonly hint: string | undefined;
  readonly exit: number;
  constructor(code: UserErrorCode, message: string, hint?: string, exit = 2) {
    super(message);
    this.name = "UserError";
    this.code = code;
    this.hint = hint;
    this.exit = exit;
  }
  toJSON(): object {
    return { error: this.code, message: this.message, ...(this.hint ? { hint: this.hint } : {}) };
  }
}
