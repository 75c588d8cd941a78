// `vnvdimm host init|status|stop|add-dimm|mce`.
import { Option, type Command as Cli } from "commander";
import { ROUTE_META, SUMMARY, UserError } from "../../api/client.js";
import { hexn, human, table } from "../table.js";
import { termLines, termText } from "../terminal-text.js";
import { call, findDaemon, stopHost } from "../transport.js";
import { examples, intArg, mgmtArg, print, progress, shortPath, stateful, stateOf, where, type Ctx } from "./shared.js";

type StatusView = {
  state: string; spec: string; pmemMgmt: string;
  dimms: { index: number; handle: number; node: number; spa: bigint; sizeBytes: bigint; labels: string; namespaces: { uuid: string | null; name: string; dpa: bigint; sizeBytes: bigint; content: string; mode?: string }[]; labelProblems: string[] }[];
  reservations: { handle: number; namespace: string | null; ok: boolean; error?: string; dataSizeBytes: bigint; mgmtSizeBytes: bigint }[];
  skipped: { handle: number; namespace: string | null; reasons: string[] }[];
  lost: { uuid: string; handle: number; namespace: string | null; found: string }[];
  regions: { type: string; smfn: number; emfn: number; pxm: number | null }[];
};

export function registerHost(program: Cli, ctx: Ctx): void {
  const host = program.command("host").description("The emulated host: its NVDIMMs, firmware and hypervisor")
    .addHelpText("after", examples("vnvdimm host init", "vnvdimm host status", "vnvdimm host mce 0x480123"));

  stateful(host.command("init"))
    .description(SUMMARY["host init"])
    .option("--spec <file>", "machine spec (JSON); default: the embedded spec, 2 sockets and two 8 GiB NVDIMMs")
    .option("--force", "recreate existing NVDIMM media (their data is lost)", false)
    .addOption(new Option("--pmem-mgmt <where>", "boot option: frame tables in ram or on pmem").default("ram").argParser(mgmtArg))
    .option("--print-default-spec", "print the embedded machine spec and exit", false)
    .addHelpText("after", examples("vnvdimm host init", "vnvdimm host init --state /var/lib/vnvdimm --spec machine.json", "vnvdimm host init --print-default-spec > machine.json"))
    .action(async (o: { state?: string; spec?: string; force: boolean; pmemMgmt: "ram" | "pmem"; printDefaultSpec: boolean; json: boolean }) => {
      if (o.printDefaultSpec) {
        const { DEFAULT_MACHINE_SPEC_SOURCE } = await import("../../host/index.js");
        ctx.io.out(JSON.stringify(DEFAULT_MACHINE_SPEC_SOURCE, null, 2) + "\n");
        return;
      }
      const d = await findDaemon(stateOf(o));
      // Recreating media under a host that serves them would pull them from under its domains. One a CLI
      // started on first use is stopped first; a user's `vnvdimm up` is theirs to stop.
      if (d && !d.background) throw new UserError("conflict", `vnvdimm up is serving ${stateOf(o)} (pid ${d.pid}); host init would replace its media`, "stop it first (Ctrl-C or `vnvdimm host stop`), or pass another --state", 1, "daemon.running");
      if (d) await stopHost(stateOf(o), d);
      const { hostInitCommand } = await import("../../api/index.js");
      const r = await hostInitCommand.run({ state: stateOf(o), force: o.force, pmemMgmt: o.pmemMgmt, onProgress: progress(ctx, "creating NVDIMMs"), ...(o.spec ? { specFile: o.spec } : {}) });
      print(ctx, o.json, r, () => [`Created host "${termText(r.spec.name)}" in ${termText(shortPath(r.state))} (pmem_mgmt=${o.pmemMgmt})`,
        table(["dimm", "node", "handle", "spa", "size", "label area", "media"], r.dimms.map((d) => [d.index, d.node, hexn(d.handle), hexn(d.spa), human(d.sizeBytes), human(d.labelSizeBytes), shortPath(d.path)]))].join("\n"));
    });

  stateful(host.command("status"))
    .description(ROUTE_META.getHost.summary)
    .addOption(new Option("--pmem-mgmt <where>", "boot with pmem_mgmt=ram|pmem instead of the host's setting").argParser(mgmtArg))
    .addHelpText("after", examples("vnvdimm host status", "vnvdimm host status --json | jq '.dimms[].namespaces'"))
    .action(async (o: { state?: string; json: boolean; pmemMgmt?: "ram" | "pmem" }) => {
      const r = await call("getHost", { ...(o.pmemMgmt ? { pmemMgmt: o.pmemMgmt } : {}) }, where(ctx, o)) as StatusView;
      print(ctx, o.json, r, () => renderStatus(r));
    });

  stateful(host.command("stop"))
    .description(SUMMARY["host stop"])
    .addHelpText("after", "\nA host runs for a state directory while `vnvdimm up` runs, or in the background once a command\n" +
      "started it (its output in DIR/host.log). Stopping it powers off builtin guests (they boot again on their\n" +
      "pages when the host next starts); qemu guests keep running. With no host running, it says so and exits 0.\n" +
      examples("vnvdimm host stop", "vnvdimm host stop --state /var/lib/vnvdimm --json"))
    .action(async (o: { state?: string; json: boolean }) => {
      const state = stateOf(o);
      const d = await findDaemon(state);
      if (d) await stopHost(state, d);
      print(ctx, o.json, { state, stopped: d !== undefined, pid: d?.pid ?? null },
        () => d ? `Stopped the host for ${termText(shortPath(state))} (pid ${d.pid})` : `No host runs for ${termText(shortPath(state))}`);
    });

  stateful(host.command("add-dimm")).description(ROUTE_META.addHostDimm.summary)
    .requiredOption("--node <n>", "the NUMA node it sits on", intArg)
    .requiredOption("--size <size>", "its size, e.g. 2G")
    .option("--label-size <size>", "its label area (default 128K)")
    .addHelpText("after", examples("vnvdimm host add-dimm --node 1 --size 2G", "vnvdimm host add-dimm --node 0 --size 4G && vnvdimm pmem reserve --dimm 2"))
    .action(async (o: { state?: string; json: boolean; node: number; size: string; labelSize?: string }) => {
      const r = await call("addHostDimm", { node: o.node, size: o.size, ...(o.labelSize ? { labelSize: o.labelSize } : {}) }, where(ctx, o));
      print(ctx, o.json, r, () => `Added NVDIMM ${r.index} (handle ${hexn(r.handle)}, node ${r.node}, ${human(BigInt(r.sizeBytes))} at ${hexn(BigInt(r.spa))})` +
        (r.hotplugged ? "; the running host's dom0 reported it to the hypervisor" : "; the next boot finds it") + `\n  reserve it with \`vnvdimm pmem reserve --dimm ${r.index}\``);
    });

  stateful(host.command("mce").argument("<mfn>", "machine frame number (decimal or 0x hex)", intArg))
    .description(ROUTE_META.injectMce.summary)
    .addHelpText("after", "\nThe page stays broken across reboots (the host's bad-block list).\n" + examples("vnvdimm host mce 0x480123", "vnvdimm host mce 4718883 --json"))
    .action(async (mfn: number, o: { state?: string; json: boolean }) => {
      const r = await call("injectMce", { mfn }, where(ctx, o));
      const name = r.domain ?? "NAME";
      const policy = r.onMce && `on_mce = "${r.onMce.policy}": ` + (r.onMce.action === "told"
        ? `its running guest marked it in its badblocks (${r.onMce.marked.join(", ")}) and runs on`
        : `the domain was stopped${r.onMce.why ? ` (its guest could not be told: ${r.onMce.why})` : " (QEMU's NVDIMM has no ARS, so its running guest could not be told)"}; its pages stay held, and at its next boot (\`vnvdimm start ${name}\`) its guest finds the page in its namespaces' badblocks`);
      const owner = r.owner === null ? (r.heldBy ? `no running domain owned it, but ${r.heldBy} holds it: its guest finds the page at its next boot` : "no domain owned it")
        : `domain ${r.domain ?? r.owner} (domid ${r.owner}) owned it; ${policy ?? (r.guestTold ? "its running guest was notified and scrubbed (`vnvdimm guest ars " + name + "`)" : "its guest finds it by ARS (`vnvdimm guest ars " + name + "`)")}`;
      print(ctx, o.json, r, () => `MFN ${hexn(r.mfn)} is broken (${r.region} region)${r.alreadyBroken ? " (it already was)" : ""}; ${owner}`);
    });
}

function renderStatus(r: StatusView): string {
  const out = [`Host "${termText(r.spec)}" in ${termText(r.state)}, pmem_mgmt=${r.pmemMgmt}`];
  // First, before any table: a reservation that vanished takes its domains' pages with it.
  for (const l of r.lost) {
    out.push("", `LOST RESERVATION ${termText(l.uuid)} on dimm handle ${hexn(l.handle)} (namespace ${termText(l.namespace ?? "(label-less)")}): ${termLines(l.found)}`,
      "  Its pages are no longer the hypervisor's: domains with extents there cannot start, and nothing was repaired.",
      `  Restore the NVDIMM, or, if the loss was meant, acknowledge it with \`vnvdimm pmem forget ${termText(l.uuid)}\`.`);
  }
  out.push("", "NVDIMMs");
  out.push(table(["dimm", "handle", "node", "spa", "size", "labels", "namespaces"], r.dimms.map((d) => [d.index, hexn(d.handle), d.node, hexn(d.spa), human(d.sizeBytes), d.labels, d.namespaces.length])));
  for (const d of r.dimms) {
    if (!d.namespaces.length) continue;
    out.push("", `NVDIMM ${d.index} namespaces`);
    out.push(table(["uuid", "name", "dpa", "size", "holds"], d.namespaces.map((n) => [n.uuid ?? "(label-less)", n.name || "-", hexn(n.dpa), human(n.sizeBytes), n.mode ?? n.content])));
    if (d.labelProblems.length) out.push(`  label problems: ${termLines(d.labelProblems.join(", "))}`);
  }
  out.push("", "Regions (hypervisor)");
  out.push(table(["type", "smfn", "emfn", "pxm", "size"], r.regions.map((g) => [g.type, hexn(g.smfn), hexn(g.emfn), g.pxm ?? "-", human(BigInt(g.emfn - g.smfn) * 4096n)])));
  if (r.skipped.length) {
    out.push("", "Skipped reservation records (reported, not repaired)");
    for (const s of r.skipped) out.push(`  dimm handle ${hexn(s.handle)} namespace ${termText(s.namespace ?? "(label-less)")}: ${termLines(s.reasons.join(", "))}`);
  }
  for (const x of r.reservations.filter((x) => !x.ok)) out.push(`  reservation on ${termText(String(x.namespace))}: refused: ${termLines(x.error ?? "")}`);
  return out.join("\n");
}
