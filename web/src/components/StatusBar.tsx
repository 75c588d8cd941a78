// The line under the header: the running action and its progress, or the
// last action's result. Errors stay until dismissed or the next action.
import type { Activity, Outcome } from "../api/use-actions";
import { ActivityLine } from "./ActivityLine";
import { ErrorLine } from "./ErrorLine";

export function StatusBar({ activity, outcome, onDismiss }: { activity: Activity | null; outcome: Outcome | null; onDismiss: () => void }) {
  if (activity) return <div className="statusbar busy"><ActivityLine activity={activity} /></div>;
  if (!outcome) return <div className="statusbar empty" role="status" aria-live="polite" />;
  return (
    <div className={`statusbar ${outcome.kind}`} role={outcome.kind === "ok" ? "status" : undefined} aria-live="polite">
      {outcome.kind === "ok" ? <p className="ok-line">{outcome.text}</p> : <ErrorLine error={{ message: outcome.text, hint: outcome.hint }} />}
      <button type="button" className="icon-button" aria-label="Dismiss" onClick={onDismiss}>×</button>
    </div>
  );
}
