// Runs the CLI in-process and captures what it prints, as a user would see it.
// Each verb works on the state directory in this process, as with
// VNVDIMM_NO_AUTOSTART=1: a test here is about the verb, not about the
// living host (test/e2e/autostart.test.ts and test/api/ drive that one).
import assert from "node:assert/strict";
import { run } from "../../src/cli/main.js";

export interface CliResult { code: number; out: string; err: string }

export async function cli(...argv: string[]): Promise<CliResult> {
  let out = "", err = "";
  const code = await run(argv, { out: (t) => { out += typeof t === "string" ? t : Buffer.from(t).toString("utf8"); }, err: (t) => { err += t; } }, { autostart: false });
  return { code, out, err };
}

/** stdout of a command that must succeed; its stderr is the failure message otherwise. */
export async function ok(...argv: string[]): Promise<string> {
  const r = await cli(...argv);
  assert.equal(r.code, 0, `${argv.join(" ")}: ${r.err}`);
  return r.out;
}
