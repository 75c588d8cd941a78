// Where a host's files live: --state DIR, else $VNVDIMM_STATE, else ./.vnvdimm.
import { resolve, join } from "node:path";

export function resolveStateDir(explicit?: string, env: NodeJS.ProcessEnv = process.env): string {
  return resolve(explicit ?? env["VNVDIMM_STATE"] ?? ".vnvdimm");
}

export const hostPaths = (state: string) => ({
  dir: join(state, "host"),
  spec: join(state, "host", "machine.json"),
  e820: join(state, "host", "firmware", "E820.bin"),
  nfit: join(state, "host", "firmware", "NFIT.bin"),
  firmwareDir: join(state, "host", "firmware"),
  dimm: (i: number) => join(state, "host", `nvdimm${i}.img`),
});
