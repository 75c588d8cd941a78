// Option parsers and output helpers shared by the CLI's commands.
import { isAbsolute, relative } from "node:path";
import { InvalidArgumentError, type Command as Cli } from "commander";
// Start-up (docs/CONTRIBUTING.md): leaf modules of the layers below, not their index.ts.
import { parseSize } from "../../formats/units.js";
import { UserError } from "../../api/client.js";
import { HostError } from "../../host/host-error.js";
import { checkStateDir, resolveStateDir } from "../../host/state-dir.js";
import { toJson } from "../json.js";

export interface Io {
  /** stdout: text, or bytes written exactly as they are (`guest read`). */
  out(text: string | Uint8Array): void;
  err(text: string): void;
}

export interface Ctx {
  io: Io;
  setExit(code: number): void;
  /** Whether a verb that finds no host starts one (transport.ts); false for the escape hatch. */
  autostart: boolean;
}

export function sizeArg(v: string): number {
  const n = parseSize(v);
  if (n === undefined || n > BigInt(Number.MAX_SAFE_INTEGER)) throw new InvalidArgumentError("expected a size such as 128K, 1M or 131072");
  return Number(n);
}

export function intArg(v: string): number {
  if (!/^(0x[0-9a-f]+|\d+)$/i.test(v) || !Number.isSafeInteger(Number(v))) throw new InvalidArgumentError("expected a non-negative integer (decimal or 0x hex)");
  return Number(v);
}

export function mgmtArg(v: string): "ram" | "pmem" {
  if (v !== "ram" && v !== "pmem") throw new InvalidArgumentError("expected ram or pmem");
  return v;
}

/** Adds --state and --json (every command has both). */
export function stateful(c: Cli): Cli {
  return c.option("--state <dir>", "state directory (default: $VNVDIMM_STATE or ./.vnvdimm)").option("--json", "print JSON", false);
}

/** A path under the working directory as the user would type it; others stay absolute (--json keeps them absolute). */
export function shortPath(p: string): string {
  const rel = relative(process.cwd(), p);
  return rel !== "" && !rel.startsWith("..") && !isAbsolute(rel) ? rel : p;
}

/** The state directory; one that exists and is not a directory (a file, /dev/null) is refused here, before any command. */
export function stateOf(o: { state?: string }): string {
  const dir = resolveStateDir(o.state);
  try { checkStateDir(dir); } catch (e) {
    if (e instanceof HostError) throw new UserError("usage", e.message, e.hint, 2, e.code);
    throw e;
  }
  return dir;
}

/** Where a verb runs: the state directory, and whether it may start a host there. */
export function where(ctx: Ctx, o: { state?: string }): { state: string; autostart: boolean } {
  return { state: stateOf(o), autostart: ctx.autostart };
}

export function print(ctx: Ctx, json: boolean, value: unknown, text: () => string): void {
  ctx.io.out((json ? toJson(value) : text()) + "\n");
}

/** A one-line progress bar on stderr, only on a terminal. */
export function progress(ctx: Ctx, label: string): (done: number, total: number) => void {
  const tty = process.stderr.isTTY === true;
  return (done, total) => {
    if (!tty) return;
    const w = 30, fill = Math.round((done / total) * w);
    ctx.io.err(`\r${label} [${"#".repeat(fill)}${" ".repeat(w - fill)}] ${done}/${total}${done === total ? "\n" : ""}`);
  };
}

/**
 * A line on stderr, only on a terminal, counting the seconds a call takes once
 * it has taken more than two (a qemu guest's boot: create and start wait for
 * it). Returns the function that clears it.
 */
export function ticking(ctx: Ctx, label: string): () => void {
  if (process.stderr.isTTY !== true) return () => undefined;
  const t0 = Date.now();
  let shown = false;
  const timer = setInterval(() => {
    const s = Math.floor((Date.now() - t0) / 1000);
    if (s < 2) return;
    shown = true;
    ctx.io.err(`\r${label}… ${s} s`);
  }, 1000);
  timer.unref();
  return () => {
    clearInterval(timer);
    if (shown) ctx.io.err("\r\x1b[K");
  };
}

/** The "Examples:" block every command's help ends with. */
export function examples(...lines: string[]): string {
  return `\nExamples:\n${lines.map((l) => `  ${l}`).join("\n")}`;
}
