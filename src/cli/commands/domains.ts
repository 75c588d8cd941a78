// `vnvdimm create|start|list|show|destroy|delete|attach|detach|reclaim` and `vnvdimm guest …` (namespaces, write, read, exec).
import { writeFileSync } from "node:fs";
import { InvalidArgumentError, Option, type Command as Cli } from "commander";
import { DEFAULT_BODY_LIMIT, MAX_GUEST_IO_BYTES, ROUTE_META, UserError, fsUserError, readUserFile, type RouteId } from "../../api/client.js";
import type { RouteOutput } from "../../api/index.js";
import { hexn, human, humanPages, table } from "../table.js";
import { termLines, termText } from "../terminal-text.js";
import { call } from "../transport.js";
import { examples, print, progress, shortPath, stateful, ticking, where, type Ctx } from "./shared.js";

/** A scrub's progress bar on a terminal, one per extent. */
function progressOf(ctx: Ctx): (label: string, done: number, total: number) => void {
  const bars = new Map<string, (done: number, total: number) => void>();
  return (label, done, total) => {
    if (total < 64) return;
    let bar = bars.get(label);
    if (!bar) bars.set(label, bar = progress(ctx, `${label} (MiB)`));
    bar(done, total);
  };
}

function offsetArg(v: string): bigint {
  if (!/^(0x[0-9a-f]+|\d+)$/i.test(v)) throw new InvalidArgumentError("expected a byte offset (decimal or 0x hex)");
  return BigInt(v);
}

function backendArg(v: string): "builtin" | "qemu" {
  if (v !== "builtin" && v !== "qemu") throw new InvalidArgumentError("expected builtin or qemu");
  return v;
}

function lengthArg(v: string): number {
  if (!/^(0x[0-9a-f]+|\d+)$/i.test(v) || Number(v) > MAX_GUEST_IO_BYTES) throw new InvalidArgumentError("expected a length up to 64M (decimal or 0x hex)");
  return Number(v);
}

/** The longest config text a route takes (its schema's limit). */
const MAX_CONFIG_BYTES = DEFAULT_BODY_LIMIT / 2;

const summary = (id: RouteId) => ROUTE_META[id].summary;

const PAGE = 4096;

type Started = { name: string; domid: number; backend: string; recreated: boolean; extents: { id: string; slot: number; smfn: number; nrPages: number; nrLabelPages: number; node: number }[]; qemu?: { pid: number; accel: string; console: string; badPages: number; bootMs?: number } };

/** The default of --boot-timeout: $VNVDIMM_BOOT_TIMEOUT (seconds), else the API's own default. */
function bootTimeoutDefault(env: NodeJS.ProcessEnv = process.env): number | undefined {
  const v = env["VNVDIMM_BOOT_TIMEOUT"];
  return v !== undefined && /^\d+$/.test(v) ? Number(v) : undefined;
}

function secondsArg(v: string): number {
  if (!/^\d+$/.test(v) || Number(v) > 3600) throw new InvalidArgumentError("expected whole seconds, at most 3600 (0: do not wait)");
  return Number(v);
}

function timeoutArg(v: string): number {
  if (!/^\d+$/.test(v) || Number(v) < 1 || Number(v) > 86_400) throw new InvalidArgumentError("expected whole seconds, from 1 to 86400");
  return Number(v);
}

/** All of this process's stdin, for `guest exec --stdin`; 8 MiB at most (the API refuses more). */
async function readStdin(): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let n = 0;
  for await (const c of process.stdin) {
    chunks.push(c as Buffer);
    n += (c as Buffer).length;
    if (n > 8 << 20) throw new UserError("invalid-input", "stdin is more than guest exec carries (8 MiB)", "copy large data with `vnvdimm guest write`", 1);
  }
  return Buffer.concat(chunks);
}

/** --boot-timeout and --no-wait, for create and start. */
function bootOptions(c: Cli): Cli {
  return c.addOption(new Option("--boot-timeout <seconds>", "seconds a qemu guest gets to boot (its agent's READY) before the command fails and leaves the domain stopped; default $VNVDIMM_BOOT_TIMEOUT or 180").argParser(secondsArg))
    .option("--no-wait", "return once QEMU runs, without waiting for the guest to boot");
}

function bootTimeoutOf(o: { bootTimeout?: number; wait: boolean }): { bootTimeoutS?: number } {
  const s = o.wait ? o.bootTimeout ?? bootTimeoutDefault() : 0;
  return s !== undefined ? { bootTimeoutS: s } : {};
}

/** What create and start print: the domain, its extents, and for qemu its process and console. */
function createdText(r: Started): string {
  return `${r.recreated ? "Started" : "Created"} domain ${r.name} (domid ${r.domid}, backend ${r.backend})${r.recreated ? " on the same pages" : ""}\n` +
    table(["id", "slot", "smfn", "pages", "size", "label area", "node"], r.extents.map((e) => [e.id, e.slot, hexn(e.smfn), e.nrPages, human((e.nrPages - e.nrLabelPages) * PAGE), human(e.nrLabelPages * PAGE), e.node])) +
    (r.qemu ? `\nQEMU pid ${r.qemu.pid} (${r.qemu.accel}); ${r.qemu.bootMs !== undefined ? `the guest booted in ${Math.round(r.qemu.bootMs / 1000)} s` : "the guest is booting"}; guest console: ${shortPath(r.qemu.console)}` : "") +
    (r.qemu?.badPages ? `\n${r.qemu.badPages} broken page${r.qemu.badPages > 1 ? "s" : ""} under its vNVDIMMs go${r.qemu.badPages > 1 ? "" : "es"} into its guest's badblocks at boot (QEMU's NVDIMM has no ARS); the console says where each was marked` : "");
}

type Shown = RouteOutput<"showDomain">;

/** What `show` prints: the domain's state, its vNVDIMMs with their host and guest addresses, and its stored config. */
function showText(r: Shown): string {
  const state = r.qemu ? `${r.status} (qemu: ${r.qemu.status}${r.qemu.pid ? `, pid ${r.qemu.pid}` : ""})` : r.status;
  const out = [
    `Domain ${r.name}: ${state}${r.domid !== null ? `, domid ${r.domid}` : ""}, backend ${r.backend}, memory ${r.memoryMiB} MiB`,
    `  created ${r.createdAt}${r.configFile ? ` from ${shortPath(r.configFile)}` : ""}`,
  ];
  if (r.error) out.push(`  cannot start: ${termLines(r.error)}`);
  if (r.reclaim) out.push(`  \`vnvdimm reclaim\` will ${r.reclaim}`);
  out.push("", "vNVDIMMs");
  out.push(r.vnvdimms.length
    ? table(["id", "slot", "size", "label area", "node", "host MFNs", "guest address", "state"], r.vnvdimms.map((v) => [
      v.id, v.slot, human(v.sizeBytes), human(v.nrLabelPages * PAGE), v.node, `${hexn(v.smfn)}-${hexn(v.smfn + v.nrPages)}`, v.gpa === null ? "-" : hexn(v.gpa), v.state === "held" ? "assigned" : "unfinished (see reclaim)",
    ]))
    : "  (none)");
  // The config is the user's text: escaped like any message, but its tabs (harmless, and common in configs) kept.
  const config = r.config.replace(/\r?\n$/, "").split(/\r?\n/).map((l) => `  ${l.split("\t").map(termLines).join("\t")}`.trimEnd());
  out.push("", "Config (as stored by its last create)", ...config);
  return out.join("\n");
}

export function registerDomains(program: Cli, ctx: Ctx): void {
  bootOptions(stateful(program.command("create").argument("<config>", "xl-style domain config")))
    .description(summary("createDomain"))
    .option("--force", "provision over label areas that hold labels vnvdimm did not write for this domain (their data is lost)", false)
    .addHelpText("after", `\nExample config:\n  name = "vm1"\n  memory = 2048\n  vnvdimms = [ 'size=1G, node=0, namespace=fsdax:data, labels=v1.2' ]\n` +
      examples("vnvdimm create vm1.cfg", "vnvdimm create vm1.cfg --backend qemu   # a real Linux guest (see `vnvdimm setup qemu`)",
        "vnvdimm create vm1.cfg --json   # again after `destroy`: starts it on the same pages, with the config's memory, vcpus, on_mce"))
    .addOption(new Option("--backend <backend>", "builtin (the probe guest) or qemu (a real Linux guest; see `vnvdimm setup qemu`); default: the config's backend=").argParser(backendArg))
    .action(async (file: string, o: { state?: string; json: boolean; force: boolean; backend?: "builtin" | "qemu"; bootTimeout?: number; wait: boolean }) => {
      const config = readUserFile(file, { what: "domain config", maxBytes: MAX_CONFIG_BYTES, hint: "pass the path of an xl-style config" }).toString("utf8");
      const done = ticking(ctx, "create: starting the domain");
      let r;
      try {
        r = await call("createDomain", { config, configFile: file, force: o.force, ...(o.backend ? { backend: o.backend } : {}), ...bootTimeoutOf(o) }, where(ctx, o));
      } finally { done(); }
      print(ctx, o.json, r, () => createdText(r));
    });

  bootOptions(stateful(program.command("start").argument("<name>"))).description(summary("startDomain"))
    .addHelpText("after", examples("vnvdimm start vm1", "vnvdimm start vm1 --backend qemu   # the same pages under a real Linux guest"))
    .addOption(new Option("--backend <backend>", "start it with this backend from now on (builtin or qemu); default: the one it last ran with").argParser(backendArg))
    .action(async (name: string, o: { state?: string; json: boolean; backend?: "builtin" | "qemu"; bootTimeout?: number; wait: boolean }) => {
      const done = ticking(ctx, `start: starting ${termText(name)}`);
      let r;
      try {
        r = await call("startDomain", { name, ...(o.backend ? { backend: o.backend } : {}), ...bootTimeoutOf(o) }, where(ctx, o));
      } finally { done(); }
      print(ctx, o.json, r, () => createdText(r));
    });

  stateful(program.command("list")).description(summary("listDomains"))
    .addHelpText("after", examples("vnvdimm list", "vnvdimm list --json | jq '.domains[].name'"))
    .action(async (o: { state?: string; json: boolean }) => {
      const r = await call("listDomains", {}, where(ctx, o));
      print(ctx, o.json, r, () => {
        const out = r.domains.length || r.orphans.length ? [table(["name", "domid", "status", "backend", "memory", "vnvdimms"], r.domains.map((d) => [d.name, d.domid ?? "-", d.qemu ? `${d.status} (qemu: ${d.qemu.status}${d.qemu.pid ? `, pid ${d.qemu.pid}` : ""})` : d.status, d.backend, `${d.memoryMiB} MiB`, d.vnvdimms.map((v) => `${v.id}:${human(v.sizeBytes)}@${hexn(v.smfn)}`).join(" ")]))] : ["  (no domains; create one with `vnvdimm create CONFIG`)"];
        for (const d of r.domains.filter((x) => x.error)) out.push(`  ${d.name}: ${termLines(d.error ?? "")}`);
        for (const d of r.domains.filter((x) => x.status === "crashed")) out.push(`  ${d.name}: its QEMU exited without a destroy (a crash, a kill, or the guest powered off); \`vnvdimm create\` starts it again on the same pages, \`vnvdimm destroy ${d.name}\` records it stopped`);
        for (const d of r.domains.filter((x) => x.reclaim)) out.push(`  ${d.name}: ${d.status === "interrupted" ? "its create was interrupted (a crash); " : ""}\`vnvdimm reclaim\` will ${d.reclaim}`);
        if (r.orphans.length) out.push("", `Unfinished allocations (a crash mid-operation): ${r.orphans.map((o) => `${o.domain} (${o.extents.length})`).join(", ")}; run \`vnvdimm reclaim\``);
        const kept = r.released.filter((x) => x.keep), waiting = r.released.filter((x) => !x.keep);
        if (waiting.length) out.push("", `Awaiting their scrub (a crash mid-delete): ${waiting.map((x) => `${x.from}/${x.id}@${hexn(x.smfn)}`).join(", ")}; run \`vnvdimm reclaim\``);
        if (kept.length) out.push("", `Kept by delete --keep-data, owned by nobody: ${kept.map((x) => `${x.from}/${x.id}@${hexn(x.smfn)}`).join(", ")}; \`vnvdimm reclaim --scrub\` zeroes and frees them`);
        return out.join("\n");
      });
    });

  stateful(program.command("show").argument("<name>")).description(summary("showDomain"))
    .addHelpText("after", examples("vnvdimm show vm1", "vnvdimm show vm1 --json | jq -r .config > vm1.cfg   # the config it was created from"))
    .action(async (name: string, o: { state?: string; json: boolean }) => {
      const r = await call("showDomain", { name }, where(ctx, o));
      print(ctx, o.json, r, () => showText(r));
    });

  stateful(program.command("destroy").argument("<name>")).description(summary("destroyDomain"))
    .addHelpText("after", examples("vnvdimm destroy vm1"))
    .action(async (name: string, o: { state?: string; json: boolean }) => {
      const r = await call("destroyDomain", { name }, where(ctx, o));
      const qemu = r.qemu === "poweroff" ? " (the guest powered off)" : r.qemu === "quit" ? " (QEMU quit)" : r.qemu === "kill" ? " (QEMU had to be killed)" : r.qemu === "not-running" ? " (QEMU had already exited)" : "";
      print(ctx, o.json, r, () => `Stopped domain ${r.name}${qemu}; its ${humanPages(r.releasedPages)} stay held for it (\`vnvdimm delete ${r.name}\` releases them)`);
    });

  stateful(program.command("delete").argument("<name>")).description(summary("deleteDomain"))
    .option("--keep-data", "keep the pages and their data, owned by nobody, until `vnvdimm reclaim --scrub`", false)
    .addHelpText("after", examples("vnvdimm destroy vm1 && vnvdimm delete vm1", "vnvdimm delete vm1 --keep-data"))
    .action(async (name: string, o: { state?: string; json: boolean; keepData: boolean }) => {
      const r = await call("deleteDomain", { name, keepData: o.keepData }, { ...where(ctx, o), onProgress: progressOf(ctx) });
      const pages = r.releasedExtents.reduce((n, e) => n + e.nrPages, 0);
      print(ctx, o.json, r, () => r.scrubbed
        ? `Deleted domain ${r.name}; its ${humanPages(pages)} were zeroed and are free`
        : `Deleted domain ${r.name}; its ${humanPages(pages)} keep their data, owned by nobody, until \`vnvdimm reclaim --scrub\``);
    });

  stateful(program.command("attach").argument("<name>").argument("<spec>", "a vnvdimm spec, e.g. 'size=1G, namespace=raw'"))
    .description(summary("attachVnvdimm")).option("--force", "provision over foreign labels", false)
    .addHelpText("after", examples("vnvdimm attach vm1 'size=256M, node=1, namespace=sector:logs'", "vnvdimm attach vm1 'type=mfn, backend=0x480000, nr_pages=65568'"))
    .action(async (name: string, spec: string, o: { state?: string; json: boolean; force: boolean }) => {
      const r = await call("attachVnvdimm", { name, spec, force: o.force }, where(ctx, o));
      print(ctx, o.json, r, () => `Attached ${r.extent.id} (slot ${r.extent.slot}, ${human((r.extent.nrPages - r.extent.nrLabelPages) * PAGE)} + ${human(r.extent.nrLabelPages * PAGE)} label area, ${r.extent.nrPages} pages at ${hexn(r.extent.smfn)}) to ${r.name}${r.hotplugged ? "; hotplugged into the running QEMU" : ""}`);
    });

  stateful(program.command("detach").argument("<name>").argument("<id>", "vNVDIMM id or slot")).description(summary("detachVnvdimm"))
    .addHelpText("after", examples("vnvdimm detach vm1 vnvdimm1", "vnvdimm detach vm1 1"))
    .action(async (name: string, id: string, o: { state?: string; json: boolean }) => {
      const r = await call("detachVnvdimm", { name, id }, { ...where(ctx, o), onProgress: progressOf(ctx) });
      print(ctx, o.json, r, () => `Detached ${r.extent.id} from ${r.name}; its ${humanPages(r.extent.nrPages)} were zeroed and are free`);
    });

  stateful(program.command("reclaim")).description(summary("reclaim"))
    .option("--scrub", "also zero and free the extents `delete --keep-data` kept", false)
    .addHelpText("after", examples("vnvdimm reclaim", "vnvdimm reclaim --scrub"))
    .action(async (o: { state?: string; json: boolean; scrub: boolean }) => {
      const r = await call("reclaim", { scrub: o.scrub }, { ...where(ctx, o), onProgress: progressOf(ctx) });
      print(ctx, o.json, r, () => {
        const lines = r.reclaimed.map((x) => `Reclaimed ${x.extents.length} unfinished extent(s) of ${x.domain}; their pages were zeroed and are free`);
        for (const x of r.scrubbed) if (!r.reclaimed.some((y) => y.domain === x.from && y.extents.some((e) => e.smfn === x.smfn))) lines.push(`Zeroed and freed ${humanPages(x.nrPages)} at ${hexn(x.smfn)} (${x.from}/${x.id})`);
        return lines.length ? lines.join("\n") : "Nothing to reclaim";
      });
    });

  const guest = program.command("guest").description("What a domain's guest sees, through its own drivers")
    .addHelpText("after", examples("vnvdimm guest namespaces vm1", "vnvdimm guest write vm1 data 0 hello.txt", "vnvdimm guest read vm1 data 0 21"));
  const probe = (c: Cli) => c.option("--probe", "ask vnvdimm's probe guest about the domain, even when it runs a real Linux (qemu)", false);
  probe(stateful(guest.command("ars").argument("<name>"))).description(summary("guestArs"))
    .addHelpText("after", examples("vnvdimm guest ars vm1", "vnvdimm guest ars vm1 --json"))
    .action(async (name: string, o: { state?: string; json: boolean; probe: boolean }) => {
      const r = await call("guestArs", { name, probe: o.probe }, where(ctx, o));
      print(ctx, o.json, r, () => {
        const lines = r.records.length
          ? [table(["dimm", "address", "length"], r.records.map((x) => [x.handle - 1, `0x${x.address.toString(16)}`, human(BigInt(x.length))]))]
          : ["  (the guest's scrub finds no broken ranges)"];
        const told = r.events.filter((e) => e.kind === "uncorrectable-error");
        if (told.length) lines.push("", `The running guest was told of ${told.length} uncorrectable error(s); the last at ${told[told.length - 1]!.at}`);
        return lines.join("\n");
      });
    });
  probe(stateful(guest.command("namespaces").argument("<name>"))).description(summary("guestNamespaces"))
    .addHelpText("after", examples("vnvdimm guest namespaces vm1"))
    .action(async (name: string, o: { state?: string; json: boolean; probe: boolean }) => {
      const r = await call("guestNamespaces", { name, probe: o.probe }, where(ctx, o));
      print(ctx, o.json, r.namespaces, () => r.namespaces.length
        ? table(["uuid", "name", "size", "mode", "dimm"], r.namespaces.map((n) => [n.uuid ?? "(label-less)", n.name || "-", human(n.size), n.mode + (n.readOnly ? " (ro)" : ""), n.dimm]))
        : "  (the guest sees no namespaces)");
    });
  stateful(guest.command("write").argument("<name>").argument("<namespace>", "uuid or name").argument("<offset>", "byte offset", offsetArg).argument("<file>"))
    .description(summary("guestWrite"))
    .addHelpText("after", examples("vnvdimm guest write vm1 data 0 hello.txt"))
    .action(async (name: string, namespace: string, offset: bigint, file: string, o: { state?: string; json: boolean }) => {
      const bytes = readUserFile(file, { what: "file", maxBytes: MAX_GUEST_IO_BYTES, hint: "pass a regular file", limitHint: "one write takes at most 64 MiB: split it, writing each part at its offset" });
      const r = await call("guestWrite", { name, namespace, offset, base64: bytes.toString("base64") }, where(ctx, o));
      print(ctx, o.json, r, () => `Wrote ${r.written} bytes at ${offset} of ${termText(namespace)}`);
    });
  probe(stateful(guest.command("read").argument("<name>").argument("<namespace>", "uuid or name").argument("<offset>", "byte offset", offsetArg).argument("<length>", "bytes", lengthArg)))
    .description(summary("guestRead")).option("--out <file>", "write the bytes to a file instead of stdout")
    .addHelpText("after", examples("vnvdimm guest read vm1 data 0 21", "vnvdimm guest read vm1 data 0x1000 4096 --out block.bin"))
    .action(async (name: string, namespace: string, offset: bigint, length: number, o: { state?: string; json: boolean; out?: string; probe: boolean }) => {
      const r = await call("guestRead", { name, namespace, offset, length, probe: o.probe }, where(ctx, o));
      const bytes = Buffer.from(r.base64, "base64");
      if (o.out) {
        try { writeFileSync(o.out, bytes); } catch (e) { throw fsUserError(e) ?? e; }
        print(ctx, o.json, { bytes: bytes.length, out: o.out }, () => `Read ${bytes.length} bytes into ${o.out}`);
        return;
      }
      if (o.json) { print(ctx, true, r, () => ""); return; }
      // The exact bytes: a string would be re-encoded as UTF-8 on the way out.
      ctx.io.out(bytes);
    });

  stateful(guest.command("exec").argument("<name>").argument("<command...>", "the command and its arguments (after --)"))
    .description(summary("guestExec"))
    .addHelpText("after", "\nThe command runs under the guest's busybox sh as root, with ndctl, daxctl, mkfs.ext4, e2fsck, tune2fs and dumpe2fs.\n" +
      examples("vnvdimm guest exec vm1 -- ndctl list -N -v", "vnvdimm guest exec vm1 -- sh -c 'mount -o dax /dev/pmem0 /mnt && ls /mnt'"))
    .addOption(new Option("--timeout <seconds>", "stop the command in the guest after this many seconds; exit 124, as timeout(1)").argParser(timeoutArg))
    .option("--stdin", "give the command this command's stdin (up to 8 MiB)", false)
    .action(async (name: string, command: string[], o: { state?: string; json: boolean; timeout?: number; stdin: boolean }) => {
      const stdin = o.stdin ? await readStdin() : undefined;
      const r = await call("guestExec", { name, argv: command, ...(o.timeout ? { timeoutS: o.timeout } : {}), ...(stdin ? { stdin: stdin.toString("base64") } : {}) }, where(ctx, o));
      const stdout = Buffer.from(r.stdout, "base64").toString("utf8"), stderr = Buffer.from(r.stderr, "base64").toString("utf8");
      if (o.json) print(ctx, true, { status: r.status, timedOut: r.timedOut, stdout, stderr }, () => "");
      else {
        ctx.io.out(stdout);
        ctx.io.err(stderr);
        if (r.timedOut) ctx.io.err(`vnvdimm: the command ran past --timeout ${o.timeout} s and was stopped in the guest\n`);
      }
      ctx.setExit(r.timedOut ? 124 : r.status);
    });
}
