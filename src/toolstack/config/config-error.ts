// Errors in a domain config. Each one names the file, the line, the key and
// what would fix it, on one line, because users read them in a terminal and
// scripts read them as JSON.

/** 1-based line and column (in UTF-16 code units, tabs count as one). */
export interface SourcePos {
  line: number;
  column: number;
}

export type ConfigErrorCode =
  | "config.syntax"
  | "config.unknown-key"
  | "config.missing-key"
  | "config.duplicate-key"
  | "config.wrong-type"
  | "config.bad-value"
  | "config.conflict"
  /** The last error of a capped list: how many more there were. */
  | "config.too-many-errors";

export interface ConfigErrorDetails {
  code: ConfigErrorCode;
  file: string;
  line: number;
  column: number;
  /** The full key, e.g. `memory` or `vnvdimms[1].size`; empty when no key applies. */
  key: string;
  /** What is wrong, e.g. `size "4Q" is not a size`. */
  problem: string;
  /** What would fix it, e.g. `use a number with K, M, G or T, e.g. size=4G`. */
  hint: string;
}

export class ConfigError extends Error {
  readonly code: ConfigErrorCode;
  readonly file: string;
  readonly line: number;
  readonly column: number;
  readonly key: string;
  readonly problem: string;
  readonly hint: string;
  /** This error followed by every other error found in the same config. */
  readonly all: readonly ConfigError[];

  constructor(details: ConfigErrorDetails, others: readonly ConfigError[] = []) {
    super(formatMessage(details));
    this.name = "ConfigError";
    this.code = details.code;
    this.file = details.file;
    this.line = details.line;
    this.column = details.column;
    this.key = details.key;
    this.problem = details.problem;
    this.hint = details.hint;
    this.all = [this, ...others];
  }

  /** The same error, carrying `others` in `all`. */
  withOthers(others: readonly ConfigError[]): ConfigError {
    return new ConfigError(this.details(), others);
  }

  /** The message without its hint, for a front end that prints the hint on a line of its own. */
  get headline(): string {
    return formatMessage({ ...this.details(), hint: "" });
  }

  details(): ConfigErrorDetails {
    const { code, file, line, column, key, problem, hint } = this;
    return { code, file, line, column, key, problem, hint };
  }

  toJSON(): object {
    const one = (e: ConfigError) => {
      const { code, ...where } = e.details();
      return { error: code, message: e.message, ...where };
    };
    return this.all.length > 1 ? { ...one(this), errors: this.all.map(one) } : one(this);
  }
}

/** `vm1.cfg:4: vnvdimms[1]: size "4Q" is not a size — use …`; the key prefix drops the sub-key, which the problem names. */
function formatMessage(d: ConfigErrorDetails): string {
  const dot = d.key.indexOf(".");
  const where = dot < 0 ? d.key : d.key.slice(0, dot);
  return `${d.file}:${d.line}: ${where === "" ? "" : `${where}: `}${d.problem}${d.hint === "" ? "" : ` — ${d.hint}`}`;
}

/** More than this many errors means the file is not a config at all; listing them all would only take time. */
export const MAX_ERRORS = 100;

/**
 * ConfigErrors in the order a reader meets them (by line, then column; ties
 * keep their order), at most MAX_ERRORS of them, the last then saying how
 * many more there were.
 */
export function toConfigErrors(findings: readonly Finding[], file: string): ConfigError[] {
  const sorted = [...findings].sort((a, b) => a.line - b.line || a.column - b.column);
  if (sorted.length <= MAX_ERRORS) return sorted.map((f) => new ConfigError({ ...f, file }));
  const shown = sorted.slice(0, MAX_ERRORS - 1).map((f) => new ConfigError({ ...f, file }));
  const next = sorted[MAX_ERRORS - 1]!;
  const more = sorted.length - shown.length;
  shown.push(new ConfigError({ ...finding("config.too-many-errors", next, "", `${more} more errors are not listed`, "fix the errors above and check again"), file }));
  return shown;
}

/** A user's text for a one-line message: quoted, ASCII-only, and short. */
export function quote(text: string): string {
  const short = text.length > 40 ? `${text.slice(0, 37)}...` : text;
  return JSON.stringify(short).replace(/[^\x20-\x7e]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`);
}

/** An error before it is tied to a file. */
export type Finding = Omit<ConfigErrorDetails, "file">;

export function finding(code: ConfigErrorCode, at: SourcePos, key: string, problem: string, hint: string): Finding {
  return { code, line: at.line, column: at.column, key, problem, hint };
}
