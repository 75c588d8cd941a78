// An error as the CLI prints it: one line saying what is wrong, and a hint.
// `Backquoted` commands in either are shown as code.
import type { ApiError } from "../api/client";

function withCode(text: string) {
  return text.split("`").map((part, i) => (i % 2 === 1 ? <code key={i}>{part}</code> : part));
}

export function ErrorLine({ error }: { error: Pick<ApiError, "message" | "hint"> }) {
  // A message that already carries its hint (a config error from a host before the API split them) does not repeat it.
  const hint = error.hint && !error.message.includes(error.hint) ? error.hint : undefined;
  return (
    <p className="error-line" role="alert">
      <span className="error-text">{withCode(error.message)}</span>
      {hint && <span className="hint"> — {withCode(hint)}</span>}
    </p>
  );
}
