// What the dashboard is doing right now, with the daemon's progress when the
// action reports it (creating and provisioning extents can take a while).
import type { Activity } from "../api/use-actions";

export function ActivityLine({ activity }: { activity: Activity }) {
  const p = activity.progress;
  const pct = p && p.total > 0 ? Math.min(100, Math.round((p.done / p.total) * 100)) : null;
  return (
    <div className="activity" role="status" aria-live="polite">
      <span className="spinner" aria-hidden="true" />
      <span className="activity-label">{activity.label}…</span>
      {p && <span className="activity-step">{p.label}</span>}
      {pct !== null ? (
        <progress className="activity-bar" max={100} value={pct} aria-label={`${activity.label}: ${pct}%`}>{pct}%</progress>
      ) : (
        <progress className="activity-bar" aria-label={`${activity.label}: working`} />
      )}
    </div>
  );
}
