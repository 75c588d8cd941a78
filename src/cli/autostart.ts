// Starting the living host on first use, as gpg starts its agent: a verb
// that finds no host for its state directory starts `vnvdimm up --background`
// detached, its output appended to `<state>/host.log`, waits until the host
// answers on its socket, and then sends the verb there. Loaded only then: it
// brings in child_process and the lock (a native addon), which a verb that
// finds its host never needs.
//
// Many CLIs may find no host at once. Each takes the start lock in turn; the
// first starts the host and waits for it, the others find it when their turn
// comes. The host takes its own lock for life, so even a user's `vnvdimm up`
// racing with them cannot make two.
import { spawn, type ChildProcess } from "node:child_process";
import { closeSync, openSync, readSync, statSync, writeSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { setTimeout as sleep } from "node:timers/promises";
import { LockTimeoutError } from "../media/file-lock.js";
import { tryHostLock, withStartLock } from "../toolstack/host-lock.js";
import type { Daemon } from "./transport.js";
import type * as Client from "../api/client.js";

/**
 * What this module needs from the modules every verb loads, handed in by the
 * caller rather than imported: the CLI bundle keeps those in its one start-up
 * file only while no lazily loaded chunk imports them itself.
 */
export interface StartDeps {
  findDaemon(state: string): Promise<Daemon | undefined>;
  UserError: typeof Client.UserError;
  daemonPaths: typeof Client.daemonPaths;
}

/** bin/vnvdimm of this checkout or package (from dist/src/cli/, or from the bundle's chunk, whose import.meta.url the build keeps). */
const BIN = fileURLToPath(new URL("../../../bin/vnvdimm", import.meta.url));

/** How long a verb waits for a host to boot (a big host reads every label area) or for another CLI starting one. */
const START_TIMEOUT_MS = 120_000;
const POLL_MS = 25;

/** The last line the host wrote to its log after `from`: why it did not start. */
function lastLogLine(log: string, from: number): string {
  let fd: number;
  try { fd = openSync(log, "r"); } catch { return "it left no log"; }
  try {
    const size = statSync(log).size;
    const start = Math.max(from, size - 4096);
    const buf = Buffer.alloc(Math.max(0, size - start));
    readSync(fd, buf, 0, buf.length, start);
    const lines = buf.toString("utf8").split("\n").map((l) => l.replace(/^vnvdimm( up)?: /, "").trim()).filter((l) => l && !l.startsWith("hint:"));
    return lines.at(-1) ?? "it exited without a word";
  } finally { closeSync(fd); }
}

function spawnHost(state: string, log: string): ChildProcess {
  const fd = openSync(log, "a", 0o600);
  try {
    writeSync(fd, `--- ${new Date().toISOString()}: host started on first use by pid ${process.pid}\n`);
    // Detached, in its own session, with no tie to this terminal or this process: it outlives the verb.
    const child = spawn(process.execPath, [BIN, "up", "--state", state, "--port", "0", "--background"], {
      detached: true, stdio: ["ignore", fd, fd], cwd: "/", env: process.env,
    });
    child.unref();
    return child;
  } finally { closeSync(fd); }
}

/** Starts a host for `state` (or waits for the one being started) and returns it once it answers. */
export async function startHost(state: string, deps: StartDeps): Promise<Daemon> {
  const { UserError } = deps;
  const paths = deps.daemonPaths(state);
  try {
    return await startUnderLock(state, paths, deps);
  } catch (e) {
    if (e instanceof LockTimeoutError) throw new UserError("conflict", `Another command has been starting the host for ${state} for ${START_TIMEOUT_MS / 1000} s`, `see ${paths.log}`, 1, "host.start-timeout");
    throw e;
  }
}

function startUnderLock(state: string, paths: ReturnType<typeof Client.daemonPaths>, { findDaemon, UserError }: StartDeps): Promise<Daemon> {
  return withStartLock(paths.startLock, async () => {
    const running = await findDaemon(state);
    if (running) return running;
    let exited: number | null | undefined;
    const logFrom = (() => { try { return statSync(paths.log).size; } catch { return 0; } })();
    // A host that holds its lock but does not answer yet is booting (a user's `vnvdimm up`): wait for it instead.
    const probe = tryHostLock(paths.lock);
    if ("lock" in probe) {
      probe.lock.release();
      const child = spawnHost(state, paths.log);
      child.once("exit", (code) => { exited = code; });
      child.once("error", () => { exited = -1; });
    }
    const deadline = Date.now() + START_TIMEOUT_MS;
    for (;;) {
      const d = await findDaemon(state);
      if (d) return d;
      if (exited !== undefined) {
        // It lost the race to a user's `vnvdimm up`, which then serves: wait for that one.
        const held = tryHostLock(paths.lock);
        if (!("lock" in held)) { exited = undefined; continue; }
        held.lock.release();
        throw new UserError("io", `Could not start the host for ${state}: ${lastLogLine(paths.log, logFrom)}`,
          `see ${paths.log}; or run \`vnvdimm up --state ${state}\` to see it start, or set VNVDIMM_NO_AUTOSTART=1 to work without one`, 2, "host.start-failed");
      }
      if (Date.now() > deadline) {
        throw new UserError("io", `The host for ${state} did not answer within ${START_TIMEOUT_MS / 1000} s`, `see ${paths.log}`, 2, "host.start-timeout");
      }
      await sleep(POLL_MS);
    }
  }, START_TIMEOUT_MS);
}
