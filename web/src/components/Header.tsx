// The top bar: what this host is, whether the live feed is connected, and
// the token (needed for actions).
import type { Connection } from "../api/events";
import type { DashboardData } from "../api/use-dashboard-data";
import { bytes } from "../lib/format";

const CONNECTION_TEXT: Record<Connection, string> = { live: "live", connecting: "connecting…", lost: "disconnected" };

export function Header({ data, connection, hasToken, onToken }: { data: DashboardData | null; connection: Connection; hasToken: boolean; onToken: () => void }) {
  const dimms = data?.map.dimms ?? [];
  const total = dimms.reduce((n, d) => n + d.sizeBytes, 0);
  return (
    <header className="topbar">
      <div className="brand">
        <svg viewBox="0 0 24 24" width="22" height="22" aria-hidden="true" className="logo">
          <rect x="2" y="6" width="20" height="12" rx="2" fill="none" stroke="currentColor" strokeWidth="2" />
          <path d="M6 18v3M10 18v3M14 18v3M18 18v3M6 10h4v4H6zM14 10h4v4h-4z" stroke="currentColor" strokeWidth="1.6" fill="none" />
        </svg>
        <h1>vnvdimm</h1>
      </div>
      {data && (
        <p className="host-summary">
          <span title={`state directory: ${data.host.state}`}>host <strong>{data.host.spec}</strong></span>
          <span>{dimms.length} NVDIMM{dimms.length === 1 ? "" : "s"}, {bytes(total)}</span>
        </p>
      )}
      <div className="topbar-right">
        <span className={`live ${connection}`} role="status" aria-label={`Live updates: ${CONNECTION_TEXT[connection]}`}>
          <span className="dot" aria-hidden="true" />{CONNECTION_TEXT[connection]}
        </span>
        <button type="button" className="button small ghost" onClick={onToken} aria-label={hasToken ? "API token set; change it" : "Set the API token"}>
          {hasToken ? "token ✓" : "set token"}
        </button>
      </div>
    </header>
  );
}
