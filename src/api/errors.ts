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
  /** Lines quoted from elsewhere (a guest's console), shown after the message; front ends escape them as data. */
  readonly detail: readonly string[];
  constructor(code: UserErrorCode, message: string, hint?: string, exit = 2, reason?: string, detail: readonly string[] = []) {
    super(message);
    this.name = "UserError";
    this.code = code;
    this.hint = hint;
    this.exit = exit;
    this.reason = reason;
    this.detail = detail;
  }
  toJSON(): object {
    return {
      error: this.code, ...(this.reason ? { reason: this.reason } : {}), message: this.message, ...(this.detail.length ? { detail: this.detail } : {}),
      ...(this.hint ? { hint: this.hint } : {}), exit: this.exit,
    };
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
  const detail = Array.isArray(b["detail"]) ? b["detail"].filter((l): l is string => typeof l === "string") : [];
  return new UserError(b["error"] as UserErrorCode, b["message"], typeof b["hint"] === "string" ? b["hint"] : undefined, code,
    typeof b["reason"] === "string" ? b["reason"] : undefined, detail);
}

const FS_WHY: Record<string, string> = {
  EACCES: "permission denied", EPERM: "operation not permitted", EROFS: "read-only file system", ENOTDIR: "not a directory",
  EISDIR: "is a directory", ENOENT: "no such file or directory", ENOSPC: "no space left on the device", EDQUOT: "disk quota exceeded",
  EIO: "I/O error", ELOOP: "too many levels of symbolic links", ENAMETOOLONG: "file name too long", EMFILE: "too many open files",
};

/**
 * A failed file-system call (EACCES on a state directory this user cannot
 * write, ENOSPC, …), also one wrapped by a lower layer's error as its cause,
 * as one line with exit 2; undefined for anything else (a bug stays a bug).
 */
export function fsUserError(e: unknown): UserError | undefined {
  for (let c: unknown = e, depth = 0; c instanceof Error && depth < 4; c = c.cause, depth++) {
    const x = c as NodeJS.ErrnoException;
    if (typeof x.code !== "string" || typeof x.syscall !== "string" || !(x.code in FS_WHY)) continue;
    const denied = x.code === "EACCES" || x.code === "EPERM" || x.code === "EROFS";
    const hint = denied ? "run as the owner of the state directory; where this user cannot write, only commands that read work (list, host status, guest read)"
      : x.code === "ENOSPC" || x.code === "EDQUOT" ? "free some space"
      : x.syscall === "mkdir" ? "pass --state naming a directory where this user can create files" : undefined;
    return new UserError("io", `Cannot ${x.syscall}${x.path ? ` ${x.path}` : ""}: ${FS_WHY[x.code]}`, hint, 2, `fs.${x.code.toLowerCase()}`);
  }
  return undefined;
}
