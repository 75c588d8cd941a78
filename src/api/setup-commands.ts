// `vnvdimm setup qemu`: what the qemu backend needs on this machine.
import { SetupError, setupQemu, type SetupQemuResult } from "../backends/index.js";
import type { Command } from "./command.js";
import { SUMMARY } from "./verbs.js";
import { UserError } from "./errors.js";

export interface SetupQemuInput {
  install?: boolean;
  force?: boolean;
  probeKvm?: boolean;
  log?: (line: string) => void;
}

/** Setup failures as one-line user errors: refusals (root, apt) exit 1, failed installs or builds exit 2. */
export function setupUserError(e: SetupError): UserError {
  const refused = e.code === "setup.needs-root" || e.code === "setup.no-apt" || e.code === "setup.tool-missing" || e.code === "setup.image-missing";
  return new UserError(refused ? "invalid-input" : "io", e.message, e.hint, refused ? 1 : 2);
}

export const setupQemuCommand: Command<SetupQemuInput, SetupQemuResult> = {
  name: "setup qemu",
  summary: SUMMARY["setup qemu"],
  async run(input) {
    try {
      return await setupQemu({
        install: input.install ?? true, force: input.force ?? false, probeKvm: input.probeKvm ?? true, ...(input.log ? { log: input.log } : {}),
      });
    } catch (e) {
      if (e instanceof SetupError) throw setupUserError(e);
      throw e;
    }
  },
};
