// The one error type of src/media (DESIGN.md, "Three kinds of error": bad
// input and failed I/O get an Error subclass with a code, data and toJSON).

export type MediaErrorCode =
  | "media.bounds"
  | "media.closed"
  | "media.read-only"
  | "media.exists"
  | "media.size"
  | "media.io"
  | "media.injected-fault"
  | "media.power-failed";

export class MediaError extends Error {
  readonly code: MediaErrorCode;
  readonly data: Readonly<Record<string, unknown>>;
  constructor(code: MediaErrorCode, message: string, data: Record<string, unknown> = {}, cause?: unknown) {
    super(message, cause === undefined ? undefined : { cause });
    this.name = "MediaError";
    this.code = code;
    this.data = data;
  }
  toJSON(): object {
    return { error: this.name, code: this.code, message: this.message, ...this.data };
  }
}

export function isMediaError(e: unknown, code?: MediaErrorCode): e is MediaError {
  return e instanceof MediaError && (code === undefined || e.code === code);
}
