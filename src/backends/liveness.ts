// Whether a domain's backend is still there. A qemu domain is a QEMU process
// that can die on its own (a crash, kill -9, its guest powering off): the
// ledger then still says "running" while nothing runs. Every verb asks this
// one question, so list, create, destroy and the living host agree about it.
import { qemuDomainPaths, runningPid } from "./qemu/index.js";

/**
 * True when a domain the toolstack started has gone on its backend's side
 * without a destroy. A builtin domain lives in the toolstack's own process,
 * so it cannot go apart from it.
 */
export function backendGone(state: string, d: { backend: string; name: string }): boolean {
  return d.backend === "qemu" && runningPid(qemuDomainPaths(state, d.name)) === null;
}
