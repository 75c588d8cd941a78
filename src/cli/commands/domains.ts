// `vnvdimm create|list|destroy|delete|attach|detach|reclaim` and `vnvdimm guest …`.
import { writeFileSync } from "node:fs";
import { relative } from "node:path";
import { InvalidArgumentError, Option, type Command as Cli } from "commander";
import {
  attachCommand, createCommand, deleteCommand, destroyCommand, detachCommand, guestExecCommand, guestNamespacesCommand, guestReadCommand, guestWriteCommand,
  listCommand, reclaimCommand,
} from "../../api/index.js";
import { hexn, human, table } from "../table.js";
import { print, stateful, stateOf, type Ctx } from "./shared.js";

function offsetArg(v: string): bigint {
  if (!/^(0x[0-9a-f]+|\d+)$/i.test(v)) throw new InvalidArgumentError("expected a byte offset (decimal or 0x hex)");
  return BigInt(v);
}

function backendArg(v: string): "builtin" | "qemu" {
  if (v !== "builtin" && v !== "qemu") throw new InvalidArgumentError("expected builtin or qemu");
  return v;
}

function lengthArg(v: string): number {
  if (!/^(0x[0-9a-f]+|\d+)$/i.test(v) || Number(v) > 64 * 1024 * 1024) throw new InvalidArgumentError("expected a length up to 64M (decimal or 0x hex)");
  return Number(v);
}

export function registerDomains(program: Cli, ctx: Ctx): void {
  stateful(program.command("create").argument("<config>", "xl-style domain config"))
    .description(createCommand.summary)
    .option("--force", "provision over label areas that hold labels vnvdimm did not write for this domain (their data is lost)", false)
    .addOption(new Option("--backend <backend>", "builtin (the probe guest) or qemu (a real Linux guest; see `vnvdimm setup qemu`); default: the config's backend=").argParser(backendArg))
    .addHelpText("after", `\nExample config:\n  name = "vm1"\n  memory = 2048\n  vnvdimms = [ 'size=1G, node=0, namespace=fsdax:data, labels=v1.2' ]\n\nExamples:\n  vnvdimm create vm1.cfg\n  vnvdimm create vm1.cfg --backend qemu`)
    .action(async (file: string, o: { state?: string; json: boolean; force: boolean; backend?: "builtin" | "qemu" }) => {
      const r = await createCommand.run({ state: stateOf(o), file, force: o.force, ...(o.backend ? { backend: o.backend } : {}) });
      print(ctx, o.json, r, () => `${r.recreated ? "Started" : "Created"} domain ${r.name} (domid ${r.domid}, backend ${r.backend})${r.recreated ? " on the same pages" : ""}\n` +
        table(["id", "slot", "smfn", "pages", "label pages", "node"], r.extents.map((e) => [e.id, e.slot, hexn(e.smfn), e.nrPages, e.nrLabelPages, e.node])) +
        (r.qemu ? `\nQEMU pid ${r.qemu.pid} (${r.qemu.accel}); guest console: ${relative(process.cwd(), r.qemu.console) || r.qemu.console}` : ""));
    });

  stateful(program.command("list")).description(listCommand.summary).action(async (o: { state?: string; json: boolean }) => {
    const r = await listCommand.run({ state: stateOf(o) });
    print(ctx, o.json, r, () => {
      const out = [table(["name", "domid", "status", "backend", "memory", "vnvdimms"], r.domains.map((d) => [d.name, d.domid ?? "-", d.qemu ? `${d.status} (qemu: ${d.qemu.status}${d.qemu.pid ? `, pid ${d.qemu.pid}` : ""})` : d.status, d.backend, `${d.memoryMiB} MiB`, d.vnvdimms.map((v) => `${v.id}:${human(v.sizeBytes)}@${hexn(v.smfn)}`).join(" ")]))];
      for (const d of r.domains.filter((x) => x.error)) out.push(`  ${d.name}: ${d.error}`);
      if (r.orphans.length) out.push("", `Unfinished allocations (a crash mid-operation): ${r.orphans.map((o) => `${o.domain} (${o.extents.length})`).join(", ")}; run \`vnvdimm reclaim\``);
      return out.join("\n");
    });
  });

  stateful(program.command("destroy").argument("<name>")).description(destroyCommand.summary).action(async (name: string, o: { state?: string; json: boolean }) => {
    const r = await destroyCommand.run({ state: stateOf(o), name });
    const qemu = r.qemu === "poweroff" ? " (the guest powered off)" : r.qemu === "quit" ? " (QEMU quit)" : r.qemu === "kill" ? " (QEMU had to be killed)" : r.qemu === "not-running" ? " (QEMU had already exited)" : "";
    print(ctx, o.json, r, () => `Stopped domain ${r.name}${qemu}; its ${r.releasedPages} pages stay held for it (\`vnvdimm delete ${r.name}\` releases them)`);
  });

  stateful(program.command("delete").argument("<name>")).description(deleteCommand.summary).action(async (name: string, o: { state?: string; json: boolean }) => {
    const r = await deleteCommand.run({ state: stateOf(o), name });
    ctx.io.err(`warning: the ${r.releasedExtents.length} extent(s) of ${r.name} are free again; their data will be reused by the next domain placed there\n`);
    print(ctx, o.json, r, () => `Deleted domain ${r.name}`);
  });

  stateful(program.command("attach").argument("<name>").argument("<spec>", "a vnvdimm spec, e.g. 'size=1G, namespace=raw'"))
    .description(attachCommand.summary).option("--force", "provision over foreign labels", false)
    .action(async (name: string, spec: string, o: { state?: string; json: boolean; force: boolean }) => {
      const r = await attachCommand.run({ state: stateOf(o), name, spec, force: o.force });
      print(ctx, o.json, r, () => `Attached ${r.extent.id} (slot ${r.extent.slot}, ${r.extent.nrPages} pages at ${hexn(r.extent.smfn)}) to ${r.name}${r.hotplugged ? "; hotplugged into the running QEMU" : ""}`);
    });

  stateful(program.command("detach").argument("<name>").argument("<id>", "vNVDIMM id or slot")).description(detachCommand.summary)
    .action(async (name: string, id: string, o: { state?: string; json: boolean }) => {
      const r = await detachCommand.run({ state: stateOf(o), name, id });
      ctx.io.err(`warning: the extent of ${r.extent.id} is free again; its data will be reused\n`);
      print(ctx, o.json, r, () => `Detached ${r.extent.id} from ${r.name}`);
    });

  stateful(program.command("reclaim")).description(reclaimCommand.summary).action(async (o: { state?: string; json: boolean }) => {
    const r = await reclaimCommand.run({ state: stateOf(o) });
    print(ctx, o.json, r, () => r.reclaimed.length ? r.reclaimed.map((x) => `Reclaimed ${x.extents.length} unfinished extent(s) of ${x.domain}`).join("\n") : "Nothing to reclaim");
  });

  const guest = program.command("guest").description("What a domain's guest sees, through its own drivers");
  const probe = (c: Cli) => c.option("--probe", "ask vnvdimm's probe guest about the domain, even when it runs a real Linux (qemu)", false);
  probe(stateful(guest.command("namespaces").argument("<name>"))).description(guestNamespacesCommand.summary).action(async (name: string, o: { state?: string; json: boolean; probe: boolean }) => {
    const r = await guestNamespacesCommand.run({ state: stateOf(o), name, probe: o.probe });
    print(ctx, o.json, r.namespaces, () => table(["uuid", "name", "size", "mode", "dimm"], r.namespaces.map((n) => [n.uuid ?? "(label-less)", n.name || "-", human(n.size), n.mode + (n.readOnly ? " (ro)" : ""), n.dimm])));
  });
  stateful(guest.command("write").argument("<name>").argument("<namespace>", "uuid or name").argument("<offset>", "byte offset", offsetArg).argument("<file>"))
    .description(guestWriteCommand.summary)
    .action(async (name: string, namespace: string, offset: bigint, file: string, o: { state?: string; json: boolean }) => {
      const r = await guestWriteCommand.run({ state: stateOf(o), name, namespace, offset, file });
      print(ctx, o.json, r, () => `Wrote ${r.written} bytes at ${offset} of ${namespace}`);
    });
  probe(stateful(guest.command("read").argument("<name>").argument("<namespace>", "uuid or name").argument("<offset>", "byte offset", offsetArg).argument("<length>", "bytes", lengthArg)))
    .description(guestReadCommand.summary).option("--out <file>", "write the bytes to a file instead of stdout")
    .action(async (name: string, namespace: string, offset: bigint, length: number, o: { state?: string; json: boolean; out?: string; probe: boolean }) => {
      const r = await guestReadCommand.run({ state: stateOf(o), name, namespace, offset, length, probe: o.probe });
      if (o.out) { writeFileSync(o.out, r.bytes); print(ctx, o.json, { bytes: r.bytes.length, out: o.out }, () => `Read ${r.bytes.length} bytes into ${o.out}`); return; }
      if (o.json) { print(ctx, true, { hex: Buffer.from(r.bytes).toString("hex") }, () => ""); return; }
      ctx.io.out(Buffer.from(r.bytes).toString("latin1"));
    });

  stateful(guest.command("exec").argument("<name>").argument("<command...>", "the command and its arguments (after --)"))
    .description(guestExecCommand.summary)
    .addHelpText("after", "\nThe command runs under the guest's busybox sh as root, with ndctl, daxctl and mkfs.ext4.\nExamples:\n  vnvdimm guest exec vm1 -- ndctl list -N -v\n  vnvdimm guest exec vm1 -- sh -c 'mount -o dax /dev/pmem0 /mnt && ls /mnt'")
    .action(async (name: string, command: string[], o: { state?: string; json: boolean }) => {
      const r = await guestExecCommand.run({ state: stateOf(o), name, argv: command });
      if (o.json) print(ctx, true, { status: r.status, stdout: Buffer.from(r.stdout).toString("utf8"), stderr: Buffer.from(r.stderr).toString("utf8") }, () => "");
      else {
        ctx.io.out(Buffer.from(r.stdout).toString("utf8"));
        ctx.io.err(Buffer.from(r.stderr).toString("utf8"));
      }
      ctx.setExit(r.status);
    });
}
