// Runs the CLI in-process and captures what it prints, as a user would see it.
import assert from "node:assert/strict";
import { run } from "../../src/cli/main.js";

export interface CliResult { code: number; out: string; err: string }

export async function cli(...argv: string[]): Promise<CliResult> {
  let out = "", err = "";
  const code = await run(argv, { out: (t) => { out += typeof t === "string" ? t : Buffer.from(t).toString("utf8"); }, err: (t) => { err += t; } });
  return { code, out, err };
}

/** stdout of a command that must succeed; its stderr is the failure message otherwise. */
export async function ok(...argv: string[]): Promise<string> {
  const r = await cli(...argv);
  assert.equal(r.code, 0, `${argv.join(" ")}: ${r.err}`);
  return r.out;
}
