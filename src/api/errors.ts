// Errors a user can act on. Each prints as one line with a hint; the CLI maps
// `exit` to its status (README "Exit status") and HTTP maps `code` to a 4xx
// (`httpStatus`), so both front ends report the same error the same way.
export type UserErrorCode =
  | "usage" | "not-found" | "io" | "invalid-input" | "invalid-config" | "conflict"
  // Only the HTTP front end raises these.
  | "unauthorized" | "forbidden" | "method-not-allowed" | "too-large" | "unsupported-media-type";

export class UserError extends Error {
  readonly code: UserErrorCode;
  readonly hint: string | undefined;
  readonly exit: number;
  /** The lower layer's own code (e.g. `domain.running`), for scripts that branch on it. */
  readonly reason: string | undefined;
  constructor(code: UserErrorCode, message: string, hint?: string, exit = 2, reason?: string) {
    super(message);
    this.name = "UserError";
    this.code = code;
    this.hint = hint;
    this.exit = exit;
    this.reason = reason;
  }
  toJSON(): object {
    return { error: this.code, ...(this.reason ? { reason: this.reason } : {}), message: this.message, ...(this.hint ? { hint: this.hint } : {}), exit: this.exit };
  }
}

/** The HTTP status for each kind of user error; 500 is kept for bugs. */
export const HTTP_STATUS: Record<UserErrorCode, number> = {
  "usage": 400,
  "invalid-input": 400,
  "unauthorized": 401,
  "forbidden": 403,
  "not-found": 404,
  "method-not-allowed": 405,
  "conflict": 409,
  "too-large": 413,
  "unsupported-media-type": 415,
  "invalid-config": 422,
  "io": 503,
};

/** A UserError rebuilt from its JSON form (an HTTP error body), so the CLI reports a daemon's error as its own. */
export function userErrorFromJson(body: unknown, exit = 2): UserError | undefined {
  if (typeof body !== "object" || body === null) return undefined;
  const b = body as Record<string, unknown>;
  if (typeof b["error"] !== "string" || typeof b["message"] !== "string" || !(b["error"] in HTTP_STATUS)) return undefined;
  const code = typeof b["exit"] === "number" ? b["exit"] : exit;
  return new UserError(b["error"] as UserErrorCode, b["message"], typeof b["hint"] === "string" ? b["hint"] : undefined, code,
    typeof b["reason"] === "string" ? b["reason"] : undefined);
}
