// Live updates: the daemon's server-sent events. `change` after every
// successful mutation (anyone's, CLI included), `progress` during long
// actions. EventSource reconnects by itself; after a reconnect the page
// refetches, since changes may have been missed meanwhile.
import { useEffect, useRef, useState } from "react";
import type { ChangeEvent, ProgressEvent } from "./types";

export type Connection = "connecting" | "live" | "lost";

export interface EventHandlers {
  onChange: (e: ChangeEvent | null) => void;
  onProgress: (e: ProgressEvent) => void;
}

function parse<T>(data: string): T | null {
  try { return JSON.parse(data) as T; } catch { return null; }
}

export function useServerEvents(handlers: EventHandlers): Connection {
  const [connection, setConnection] = useState<Connection>("connecting");
  const ref = useRef(handlers);
  useEffect(() => { ref.current = handlers; });

  useEffect(() => {
    const source = new EventSource("api/events");
    let wasLost = false;
    source.addEventListener("open", () => {
      setConnection("live");
      if (wasLost) ref.current.onChange(null);
      wasLost = false;
    });
    source.addEventListener("error", () => {
      wasLost = true;
      setConnection(source.readyState === EventSource.CLOSED ? "lost" : "connecting");
    });
    source.addEventListener("change", (ev) => ref.current.onChange(parse<ChangeEvent>((ev as MessageEvent<string>).data)));
    source.addEventListener("progress", (ev) => {
      const p = parse<ProgressEvent>((ev as MessageEvent<string>).data);
      if (p) ref.current.onProgress(p);
    });
    return () => source.close();
  }, []);

  return connection;
}

const GUEST_ARS_KINDS = new Set(["host.mce", "vnvdimm.attached", "vnvdimm.detached", "domain.started", "domain.destroyed"]);

/**
 * Whether a change may alter what a domain's guest scrub (ARS) shows: a
 * machine check, a hotplug or unplug, or the guest restarting; null (after a
 * reconnect) may be anything. A host.mce without a domain hit a free page, so
 * concerns no guest.
 */
export function changesGuestArs(e: ChangeEvent | null, name: string): boolean {
  return e === null || (GUEST_ARS_KINDS.has(e.kind) && e.domain === name);
}
