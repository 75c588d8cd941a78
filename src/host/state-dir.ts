// Where a host's files live: --state DIR, else $VNVDIMM_STATE, else ./.vnvdimm.
// Everything vnvdimm creates there is private: directories 0700, files 0600.
import { mkdirSync, statSync } from "node:fs";
import { dirname, resolve, join } from "node:path";
import { HostError } from "./host-error.js";

export function resolveStateDir(explicit?: string, env: NodeJS.ProcessEnv = process.env): string {
  return resolve(explicit ?? env["VNVDIMM_STATE"] ?? ".vnvdimm");
}

/** Mode of every file vnvdimm writes in a state directory (media, firmware, ledger, token). */
export const PRIVATE_FILE_MODE = 0o600;
export const PRIVATE_DIR_MODE = 0o700;

function notADirectory(dir: string): HostError {
  return new HostError("host.state-dir", `${dir} is not a directory`, "pass --state DIR naming a directory (it is created if missing)");
}

/** Refuses a state path that exists and is not a directory (a regular file, /dev/null). */
export function checkStateDir(dir: string): void {
  let isDir: boolean;
  try { isDir = statSync(dir).isDirectory(); } catch { return; }
  if (!isDir) throw notADirectory(dir);
}

/**
 * mkdir -p with mode 0700 for every directory it creates. Bounded by the
 * path's depth: Node's recursive mkdir retries forever where mkdir fails with
 * ENOENT under a parent that exists (`/proc/self/host`).
 */
export function makePrivateDir(dir: string): void {
  try {
    mkdirSync(dir, { mode: PRIVATE_DIR_MODE });
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === "EEXIST") {
      if (!statSync(dir).isDirectory()) throw notADirectory(dir);
      return;
    }
    if (code !== "ENOENT" || dirname(dir) === dir) throw e;
    makePrivateDir(dirname(dir));
    mkdirSync(dir, { mode: PRIVATE_DIR_MODE });
  }
}

export const hostPaths = (state: string) => ({
  dir: join(state, "host"),
  spec: join(state, "host", "machine.json"),
  e820: join(state, "host", "firmware", "E820.bin"),
  nfit: join(state, "host", "firmware", "NFIT.bin"),
  firmwareDir: join(state, "host", "firmware"),
  dimm: (i: number) => join(state, "host", `nvdimm${i}.img`),
});
