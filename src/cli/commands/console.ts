// `vnvdimm console NAME`: a qemu domain's serial console, read-write, as `xl
// console` gives it. On a terminal the keys go to the guest raw (Ctrl-C
// interrupts the guest's command, not this one); Ctrl-] leaves. From a pipe
// (a script), what it sends is typed into the guest, and when it ends the
// console stays a moment for the answer, then leaves.
import { createConnection } from "node:net";
import type { Command as Cli } from "commander";
import { SUMMARY, UserError } from "../../api/client.js";
import { examples, stateful, stateOf, type Ctx } from "./shared.js";

/** Ctrl-], the escape of xl console, virsh console and telnet. */
const ESCAPE = 0x1d;
/** After a piped stdin ends: how long the guest's answer may take to come back. */
const LINGER_MS = 2_000;

export function registerConsole(program: Cli, ctx: Ctx): void {
  stateful(program.command("console").argument("<name>", "a running qemu domain"))
    .description(SUMMARY["console"])
    .addHelpText("after", "\nOne client at a time. Everything the guest prints is also in <state>/qemu/NAME/console.log.\n" +
      examples("vnvdimm console vm1", "printf 'ndctl list -N\\n' | vnvdimm console vm1"))
    .action(async (name: string, o: { state?: string }) => {
      const { consoleCommand } = await import("../../api/index.js");
      const { socket } = await consoleCommand.run({ state: stateOf(o), name });
      await attach(socket, name, ctx);
    });
}

function attach(path: string, name: string, ctx: Ctx): Promise<void> {
  const stdin = process.stdin;
  const raw = stdin.isTTY === true;
  return new Promise((resolve, reject) => {
    const sock = createConnection(path);
    let done = false;
    let linger: NodeJS.Timeout | undefined;
    const finish = (err?: Error) => {
      if (done) return;
      done = true;
      clearTimeout(linger);
      stdin.off("data", onKeys);
      stdin.off("end", onEnd);
      if (raw) stdin.setRawMode(false);
      // Destroyed, not paused: a stdin that was read keeps the process alive.
      stdin.destroy();
      sock.destroy();
      if (err) reject(err);
      else resolve();
    };
    const onKeys = (b: Buffer) => {
      const at = b.indexOf(ESCAPE);
      if (at < 0) { sock.write(b); return; }
      if (at > 0) sock.write(b.subarray(0, at));
      ctx.io.err("\n[console closed]\n");
      finish();
    };
    const onEnd = () => { linger = setTimeout(() => finish(), LINGER_MS); };
    sock.on("connect", () => {
      ctx.io.err(`Connected to the console of ${name}${raw ? "; Ctrl-] leaves" : ""}\n`);
      if (raw) stdin.setRawMode(true);
      stdin.on("data", onKeys);
      stdin.on("end", onEnd);
      stdin.resume();
    });
    sock.on("data", (b: Buffer) => ctx.io.out(b));
    sock.on("close", () => finish());
    sock.on("error", (e: NodeJS.ErrnoException) => finish(new UserError("io", `Cannot attach to the console of ${name}: ${e.code ?? e.message}`,
      e.code === "ENOENT" || e.code === "ECONNREFUSED" ? "its QEMU has stopped; see `vnvdimm list`" : undefined, 2, "console.io")));
  });
}
