// Starting and finding a domain's QEMU. QEMU runs with -daemonize: the
// command that starts it returns only once QEMU has parsed its command line,
// opened every backing file and bound its sockets, so a bad configuration is
// reported to the caller there and then; the daemon outlives the caller.
// Later commands find it through its pid file, checked against
// /proc/PID/cmdline so that a recycled pid is never mistaken for it.
import { spawnSync } from "node:child_process";
import { closeSync, existsSync, openSync, readFileSync, renameSync, rmSync } from "node:fs";
import { setTimeout as sleep } from "node:timers/promises";
import { QEMU_BINARY } from "./setup/packages.js";
import { UNIX_PATH_MAX, type QemuDomainPaths } from "./domain-files.js";

export class QemuLaunchError extends Error {
  constructor(readonly code: "qemu.launch" | "qemu.path", message: string, readonly hint?: string) {
    super(message);
    this.name = "QemuLaunchError";
  }
}

export function checkSocketPaths(p: QemuDomainPaths): void {
  for (const s of [p.qmp, p.agent, p.consoleSocket]) {
    if (Buffer.byteLength(s) > UNIX_PATH_MAX) {
      throw new QemuLaunchError("qemu.path", `The socket path ${s} is longer than the ${UNIX_PATH_MAX} bytes a unix socket allows`, "use a shorter --state directory");
    }
  }
}

/** Starts QEMU; returns its pid. Throws QemuLaunchError with QEMU's own message when it refuses. */
export function launchQemu(p: QemuDomainPaths, argv: readonly string[]): number {
  checkSocketPaths(p);
  if (existsSync(p.console)) renameSync(p.console, p.previousConsole);
  for (const f of [p.qmp, p.agent, p.consoleSocket, p.pid, p.agentLock]) rmSync(f, { force: true });
  const log = openSync(p.qemuLog, "w");
  let r;
  try {
    r = spawnSync(QEMU_BINARY, argv, { stdio: ["ignore", log, log], timeout: 60_000 });
  } finally {
    closeSync(log);
  }
  if (r.error || r.status !== 0) {
    const why = readFileSync(p.qemuLog, "utf8").trim().split("\n").filter((l) => l.trim()).slice(-2).join("; ") || r.error?.message || `exit status ${r.status}`;
    throw new QemuLaunchError("qemu.launch", `QEMU refused to start: ${why.replace(/^qemu-system-x86_64: /, "")}`, `see ${p.qemuLog}`);
  }
  const pid = runningPid(p);
  if (pid === null) throw new QemuLaunchError("qemu.launch", "QEMU started but left no running process", `see ${p.qemuLog}`);
  return pid;
}

function cmdline(pid: number): string[] | undefined {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, "latin1").split("\0");
  } catch {
    return undefined;
  }
}

/** The pid of this domain's QEMU, or null when it is not running. */
export function runningPid(p: QemuDomainPaths): number | null {
  let pid: number;
  try {
    pid = Number(readFileSync(p.pid, "utf8").trim());
  } catch {
    return null;
  }
  if (!Number.isSafeInteger(pid) || pid <= 0) return null;
  const args = cmdline(pid);
  return args && args.includes(p.pid) ? pid : null;
}

export async function waitExit(p: QemuDomainPaths, pid: number, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const args = cmdline(pid);
    // A zombie has an empty cmdline: it is gone as far as the domain is concerned.
    if (!args || !args.includes(p.pid)) return true;
    if (Date.now() > deadline) return false;
    await sleep(25);
  }
}

export function signal(pid: number, sig: NodeJS.Signals): void {
  try { process.kill(pid, sig); } catch { /* already gone */ }
}
