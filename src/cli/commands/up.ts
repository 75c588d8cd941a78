// `vnvdimm up`: the main job, the living host. Sets up what is missing, then
// serves the API and the dashboard, and the CLI on its Unix socket, until
// Ctrl-C, `vnvdimm host stop`, or its state directory is removed. A CLI verb
// that finds no host starts one with --background (autostart.ts).
import { join } from "node:path";
import { InvalidArgumentError, Option, type Command as Cli } from "commander";
import { UserError, removeDaemonInfo } from "../../api/client.js";
import { termLines } from "../terminal-text.js";
import { findDaemon, stopHost } from "../transport.js";
import { examples, print, progress, shortPath, stateful, stateOf, type Ctx } from "./shared.js";

function portArg(v: string): number {
  if (!/^\d+$/.test(v) || Number(v) > 65535) throw new InvalidArgumentError("expected a port number, 0 to 65535 (0: any free port)");
  return Number(v);
}

interface UpCliOptions { state?: string; json: boolean; port: number; bind: string; init?: boolean; demo?: boolean; images?: string; background?: boolean }

/** How long a host started in the background waits for a request before it stops: $VNVDIMM_HOST_IDLE seconds (0: never), else 10 minutes. */
export const DEFAULT_IDLE_SECONDS = 600;

function idleSeconds(): number {
  const v = process.env["VNVDIMM_HOST_IDLE"];
  if (v === undefined || v === "") return DEFAULT_IDLE_SECONDS;
  if (!/^\d+$/.test(v)) throw new UserError("usage", `VNVDIMM_HOST_IDLE must be a number of seconds (0: never), not ${v}`, undefined, 2);
  return Number(v);
}

/**
 * Resolves at the first SIGINT or SIGTERM. A second one while stopping
 * means "now": `force` runs (it removes daemon.json) and the process exits;
 * the ledger is crash-safe, so this is no worse than a kill -9.
 */
function stopSignal(force: () => void): Promise<NodeJS.Signals> {
  return new Promise((resolve) => {
    let first: NodeJS.Signals | undefined;
    const on = (s: NodeJS.Signals) => {
      if (first) {
        force();
        process.exit(130);
      }
      first = s;
      resolve(s);
    };
    process.on("SIGINT", on);
    process.on("SIGTERM", on);
  });
}

export function registerUp(program: Cli, ctx: Ctx): void {
  stateful(program.command("up"))
    .description("Serve the REST API and the dashboard; with the default state, first create a host, reserve pmem and start a demo domain")
    .addOption(new Option("--port <n>", "TCP port (0: any free port)").default(7070).argParser(portArg))
    .option("--bind <address>", "address to listen on; anything but loopback exposes the host", "127.0.0.1")
    .option("--init", "create the emulated host if there is none, and reserve pmem on NVDIMMs 0 and 1 if they have no reservation")
    .option("--demo", "create the demo domain (or start it if it is stopped)")
    .option("--images <dir>", "let API clients name image= files in this directory (and only there); without it the API refuses image=")
    // How a CLI verb starts a host on first use: no demo, no init, and it stops by itself when idle.
    .addOption(new Option("--background", "started by a CLI on first use: stop after $VNVDIMM_HOST_IDLE seconds without a request").hideHelp())
    .addHelpText("after", "\nWithout --state (and $VNVDIMM_STATE), up works in ./.vnvdimm and implies --init --demo.\n" +
      "With --state, it writes nothing beyond its token, daemon.json, socket and lock unless told to.\n" +
      "While it runs, other vnvdimm commands on the same state go through it (its Unix socket, DIR/host.sock);\n" +
      "when none runs, the first of them starts one in the background. `vnvdimm host stop` stops it.\n" +
      examples("vnvdimm up", "vnvdimm up --state /var/lib/vnvdimm --port 8080", "vnvdimm up --state /tmp/try --init --demo --port 0 --json"))
    .action(async (o: UpCliOptions) => {
      const state = stateOf(o);
      const playground = o.state === undefined && process.env["VNVDIMM_STATE"] === undefined;
      const say = (line: string) => { if (!o.json) ctx.io.out(`vnvdimm up: ${termLines(line)}\n`); };
      const warn = (line: string) => ctx.io.err(`vnvdimm up: warning: ${termLines(line)}\n`);
      // A host a CLI started in the background gives way to the user's own `up` (the same host, in the foreground).
      const bg = await findDaemon(state);
      if (bg?.background) {
        await stopHost(state, bg);
        say(`stopped the host started in the background (pid ${bg.pid}); serving in the foreground now`);
      }
      const { up } = await import("../../server/index.js");
      const h = await up({
        state, bind: o.bind, port: o.port, init: o.init ?? playground, demo: o.demo ?? playground, onProgress: progress(ctx, "creating NVDIMMs"),
        ...(o.images !== undefined ? { imagesDir: o.images } : {}), ...(o.background ? { background: true, idleSeconds: idleSeconds() } : {}),
      }, say, warn);
      const stopped = Promise.race([stopSignal(() => removeDaemonInfo(state, process.pid)), h.stopRequested]);
      print(ctx, o.json, { url: h.url, openUrl: h.openUrl, state, pid: process.pid, ...(h.socket ? { socket: h.socket } : {}) }, () => [
        `Serving the API and dashboard for ${shortPath(state)}`,
        `  dashboard: ${h.openUrl}`,
        `  API:       ${h.url}api (OpenAPI: ${h.url}api/openapi.json); mutations need the token in ${shortPath(join(state, "api-token"))}`,
        ...(o.images !== undefined ? [`  images:    API clients may name image= files in ${shortPath(o.images)}`] : []),
        ...(h.socket ? [`  CLI:       ${shortPath(h.socket)}`] : []),
        o.background ? "`vnvdimm host stop` stops it; so does removing the state directory, or no request for a while." : "Ctrl-C stops.",
      ].join("\n"));
      const signal = await stopped;
      await h.stop();
      if (!o.json) ctx.io.out(`vnvdimm up: stopped (${signal})\n`);
    });
}
