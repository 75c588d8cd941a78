// `vnvdimm host stop`: ask the host to stop (POST /api/host/stop) and wait
// until it has: its socket is gone and its lock is free, so the next command
// finds no host and may start one, or `host init` may replace the media.
import { setTimeout as sleep } from "node:timers/promises";
import { tryHostLock } from "../toolstack/host-lock.js";
import type { Daemon } from "./transport.js";
import type * as Client from "../api/client.js";

/** Handed in by the caller, not imported (see autostart.ts, StartDeps). */
export interface StopDeps {
  viaDaemon(d: Daemon, r: Client.RouteMeta, input: Record<string, unknown>): Promise<unknown>;
  UserError: typeof Client.UserError;
  daemonPaths: typeof Client.daemonPaths;
  ROUTE_META: typeof Client.ROUTE_META;
}

const STOP_TIMEOUT_MS = 60_000;

export async function stopHostWith(state: string, d: Daemon, { viaDaemon, UserError, daemonPaths, ROUTE_META }: StopDeps): Promise<void> {
  await viaDaemon(d, ROUTE_META.stopHost, {});
  const deadline = Date.now() + STOP_TIMEOUT_MS;
  for (;;) {
    const held = tryHostLock(daemonPaths(state).lock);
    if ("lock" in held) { held.lock.release(); return; }
    if (Date.now() > deadline) throw new UserError("io", `The host for ${state} (pid ${d.pid}) did not stop within ${STOP_TIMEOUT_MS / 1000} s`, `kill ${d.pid}`, 2, "host.stop-timeout");
    await sleep(25);
  }
}
