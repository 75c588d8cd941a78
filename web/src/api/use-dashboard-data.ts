// Everything the page shows, fetched together so the picture and the lists
// always agree. A refetch that is overtaken by a newer one is dropped.
import { useCallback, useEffect, useRef, useState } from "react";
import { ApiError, enc, getJson } from "./client";
import type { DomainList, GuestNamespace, HostStatus, PmemMap } from "./types";

export interface NamespacesOf {
  namespaces: GuestNamespace[];
  error?: string;
}

export interface DashboardData {
  host: HostStatus;
  map: PmemMap;
  domains: DomainList;
  namespaces: Map<string, NamespacesOf>;
}

async function namespacesOf(name: string, signal: AbortSignal): Promise<NamespacesOf> {
  try {
    const r = await getJson<GuestNamespace[] | { namespaces: GuestNamespace[] }>(`api/domains/${enc(name)}/namespaces`, signal);
    return { namespaces: Array.isArray(r) ? r : r.namespaces };
  } catch (e) {
    if (e instanceof ApiError) return { namespaces: [], error: e.message };
    throw e;
  }
}

async function fetchAll(signal: AbortSignal): Promise<DashboardData> {
  const [host, map, domains] = await Promise.all([
    getJson<HostStatus>("api/host", signal),
    getJson<PmemMap>("api/pmem/map", signal),
    getJson<DomainList>("api/domains", signal),
  ]);
  const running = domains.domains.filter((d) => d.status === "running");
  const ns = await Promise.all(running.map(async (d) => [d.name, await namespacesOf(d.name, signal)] as const));
  return { host, map, domains, namespaces: new Map(ns) };
}

export function useDashboardData(): { data: DashboardData | null; loadError: ApiError | null; refresh: () => void } {
  const [data, setData] = useState<DashboardData | null>(null);
  const [loadError, setLoadError] = useState<ApiError | null>(null);
  const inFlight = useRef<AbortController | null>(null);

  const refresh = useCallback(() => {
    inFlight.current?.abort();
    const ctl = new AbortController();
    inFlight.current = ctl;
    fetchAll(ctl.signal).then(
      (d) => { if (!ctl.signal.aborted) { setData(d); setLoadError(null); } },
      (e: unknown) => {
        if (ctl.signal.aborted) return;
        setLoadError(e instanceof ApiError ? e : new ApiError(0, "bug", e instanceof Error ? e.message : String(e)));
      },
    );
  }, []);

  useEffect(() => {
    refresh();
    return () => inFlight.current?.abort();
  }, [refresh]);

  return { data, loadError, refresh };
}
