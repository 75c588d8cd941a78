// An error as the CLI prints it: one line saying what is wrong, and a hint.
import type { ApiError } from "../api/client";

export function ErrorLine({ error }: { error: Pick<ApiError, "message" | "hint"> }) {
  return (
    <p className="error-line" role="alert">
      <span className="error-text">{error.message}</span>
      {error.hint && <span className="hint"> — {error.hint}</span>}
    </p>
  );
}
