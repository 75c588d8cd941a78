// The vnvdimm command line. A thin front end: parsing with commander, the
// work in src/api, output as text or --json. Exit status: 0 valid / done,
// 1 the input failed validation, 2 usage or I/O error (README "Exit status").
// Start-up loads only what every verb needs (docs/CONTRIBUTING.md): a verb
// that works in this process imports src/api's commands when it runs.
import { Argument, Command as Cli, CommanderError, Option } from "commander";
import { SUMMARY, UserError, packageVersion } from "../api/client.js";
import { toJson } from "./json.js";
import { renderAcpi } from "./render-acpi.js";
import { renderLabels } from "./render-labels.js";
import { termLines, termText } from "./terminal-text.js";
import { autostartByDefault } from "./transport.js";
import { examples, intArg, sizeArg, type Io } from "./commands/shared.js";
import { registerHost } from "./commands/host.js";
import { registerPmem } from "./commands/pmem.js";
import { registerDomains } from "./commands/domains.js";
import { registerUp } from "./commands/up.js";
import { registerSetup } from "./commands/setup.js";
import { registerConsole } from "./commands/console.js";

export type { Io };

export interface RunOptions {
  /**
   * Whether a stateful verb that finds no host starts one in the background;
   * default: unless $VNVDIMM_NO_AUTOSTART is set. The tests that drive the CLI
   * in their own process pass false: they test each verb on the state
   * directory itself, as a script with VNVDIMM_NO_AUTOSTART=1 does.
   */
  autostart?: boolean;
}

const defaultIo: Io = { out: (t) => process.stdout.write(t), err: (t) => process.stderr.write(t) };

export function buildCli(io: Io, setExit: (code: number) => void, o: RunOptions = {}): Cli {
  const ctx = { io, setExit, autostart: o.autostart ?? autostartByDefault() };
  const program = new Cli("vnvdimm")
    .description("Persistent memory for virtual machines: the Xen virtual-NVDIMM design as real software")
    // Usage errors look like every other error: one line, then a hint.
    .configureOutput({ writeOut: io.out, writeErr: io.err, outputError: (text, write) => write(termLines(text.replace(/^error: /, "vnvdimm: "))) })
    .exitOverride()
    .showHelpAfterError("  hint: add --help for usage and examples");

  // Not commander's .version(), which prints text: run() prints it, as JSON with --json.
  program.option("-V, --version", "print vnvdimm's version (with --json, as JSON)");
  program.on("option:version", () => { throw new CommanderError(0, "commander.version", packageVersion()); });

  program.addHelpText("after", examples("vnvdimm up                      # the main job: API and dashboard on 127.0.0.1:7070",
    "vnvdimm host init && vnvdimm pmem reserve --dimm 0", "vnvdimm create vm1.cfg && vnvdimm list", "vnvdimm inspect labels dimm.img --json") +
    "\n\nEvery command takes --json. Exit status: 0 done, 1 refused or failed validation, 2 usage or I/O error, 70 internal error (a bug).");

  const inspect = program.command("inspect").description("Look inside an NVDIMM backing file or an ACPI table").exitOverride()
    .addHelpText("after", examples("vnvdimm inspect labels guest-dimm0.img", "vnvdimm inspect acpi /sys/firmware/acpi/tables/NFIT"));

  inspect.command("labels").argument("<file>", "NVDIMM backing file (label area = its last --label-size bytes) or, with --label-area, the label area alone")
    .description(SUMMARY["inspect labels"])
    .addOption(new Option("--label-size <size>", "label area size at the end of FILE").default(131072, "128K").argParser(sizeArg))
    .option("--label-area", "FILE is the label area alone (no data area)", false)
    .addOption(new Option("--slot <n>", "QEMU slot of the DIMM, for its interleave-set cookie").default(0).argParser(intArg))
    .option("--nfit <file>", "take the region and cookies from this NFIT instead of QEMU's defaults")
    .addOption(new Option("--offset <bytes>", "the backing window starts here in FILE (memory-backend-file offset=)").argParser(intArg))
    .addOption(new Option("--size <bytes>", "the backing window's size (memory-backend-file size=)").argParser(intArg))
    .option("--json", "print JSON with `ndctl read-labels -j` field names, plus namespaces and infoBlocks", false)
    .addHelpText("after", "\nExamples:\n  vnvdimm inspect labels guest-dimm0.img\n  vnvdimm inspect labels labels.bin --label-area --json\n  vnvdimm inspect labels dimm.img --nfit /sys/firmware/acpi/tables/NFIT --slot 1")
    .action(async (file: string, o: { labelSize: number; labelArea: boolean; slot: number; nfit?: string; json: boolean; offset?: number; size?: number }) => {
      const { inspectLabelsCommand } = await import("../api/index.js");
      const r = await inspectLabelsCommand.run({
        file, labelSizeBytes: o.labelSize, labelAreaOnly: o.labelArea, slot: o.slot, ...(o.nfit ? { nfitFile: o.nfit } : {}),
        ...(o.offset !== undefined ? { windowOffset: o.offset } : {}), ...(o.size !== undefined ? { windowSize: o.size } : {}),
      });
      io.out((o.json ? toJson(r) : renderLabels(r)) + "\n");
      setExit(r.valid ? 0 : 1);
    });

  inspect.command("acpi").argument("<file>", "an ACPI table, e.g. /sys/firmware/acpi/tables/NFIT")
    .description(SUMMARY["inspect acpi"])
    .option("--json", "print JSON with iasl's field names in camelCase", false)
    .addHelpText("after", "\nExamples:\n  vnvdimm inspect acpi /sys/firmware/acpi/tables/NFIT\n  vnvdimm inspect acpi SSDT.bin --json")
    .action(async (file: string, o: { json: boolean }) => {
      const { inspectAcpiCommand } = await import("../api/index.js");
      const r = await inspectAcpiCommand.run({ file });
      io.out((o.json ? toJson(r) : renderAcpi(r)) + "\n");
      setExit(r.valid ? 0 : 1);
    });
  registerHost(program, ctx);
  registerPmem(program, ctx);
  registerDomains(program, ctx);
  registerUp(program, ctx);
  registerSetup(program, ctx);
  registerConsole(program, ctx);

  program.command("completion").addArgument(new Argument("<shell>", "the shell").choices(["bash", "zsh", "fish"]))
    .description("Print a completion script for bash, zsh or fish, made from this command tree")
    .addHelpText("after", examples("vnvdimm completion bash > ~/.local/share/bash-completion/completions/vnvdimm",
      "vnvdimm completion zsh > ~/.zfunc/_vnvdimm        # a directory in $fpath", "vnvdimm completion fish > ~/.config/fish/completions/vnvdimm.fish"))
    .option("--json", "print the script in a JSON object, { shell, script }", false)
    .action(async (shell: "bash" | "zsh" | "fish", o: { json: boolean }) => {
      const { completionScript } = await import("./completion.js");
      const script = completionScript(program, shell, packageVersion());
      io.out(o.json ? `${toJson({ shell, script })}\n` : script);
    });
  return program;
}

/** How a user error prints: its line, the lines it quotes, its hint. */
export function userErrorText(e: UserError): string {
  // Quoted lines are data (a guest's console): every control character escaped, each line marked as a quote.
  const quoted = e.detail.map((l) => `\n  | ${termText(l)}`).join("");
  return `vnvdimm: ${termLines(e.message)}${quoted}${e.hint ? `\n  hint: ${termLines(e.hint)}` : ""}\n`;
}

/** Runs the CLI and returns its exit status; never lets a stack trace reach the user for bad input. */
export async function run(argv: string[], io: Io = defaultIo, o: RunOptions = {}): Promise<number> {
  let code = 0;
  const program = buildCli(io, (c) => { code = c; }, o);
  try {
    await program.parseAsync(argv, { from: "user" });
    return code;
  } catch (e) {
    const json = wantsJson(argv);
    if (e instanceof CommanderError) {
      if (e.code === "commander.version") io.out(json ? `${toJson({ name: "vnvdimm", version: e.message })}\n` : `${e.message}\n`);
      // Help and version are "errors" to commander; they exit 0.
      if (e.exitCode === 0) return 0;
      // Commander has printed the error and its hint on stderr; a script reading --json gets it as every other error.
      if (json) io.out(toJson(usageError(e)) + "\n");
      return 2;
    }
    if (e instanceof UserError) {
      io.err(userErrorText(e));
      // Scripts reading --json get the error as JSON too: the same body the HTTP API sends.
      if (json) io.out(toJson(e) + "\n");
      return e.exit;
    }
    io.err(`vnvdimm: internal error: ${termLines(e instanceof Error ? e.message : String(e))}\n  hint: this is a bug; please report it with the command you ran\n`);
    if (process.env["VNVDIMM_DEBUG"]) io.err(`${e instanceof Error ? e.stack : ""}\n`);
    return 70;
  }
}

/** Whether the command line asks for JSON; words after `--` are a guest command's (`guest exec vm -- ndctl list --json`), not ours. */
function wantsJson(argv: string[]): boolean {
  const end = argv.indexOf("--");
  return (end < 0 ? argv : argv.slice(0, end)).includes("--json");
}

/** A usage error commander found, as the UserError the API would send (exit 2). */
function usageError(e: CommanderError): UserError {
  const message = e.code === "commander.help" ? "no command given" : e.message.replace(/^error: /, "");
  return new UserError("usage", message, "add --help for usage and examples", 2, e.code);
}
