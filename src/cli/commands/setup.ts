// `vnvdimm setup qemu`.
import type { Command as Cli } from "commander";
import { SUMMARY } from "../../api/client.js";
import { print, type Ctx } from "./shared.js";

export function registerSetup(program: Cli, ctx: Ctx): void {
  const setup = program.command("setup").description("Prepare this machine for a backend");
  setup.command("qemu")
    .description(SUMMARY["setup qemu"])
    .option("--no-install", "do not run apt-get; fail, naming what is missing")
    .option("--force", "rebuild the guest image even when it is up to date", false)
    .option("--no-kvm-probe", "do not try KVM; domains use TCG")
    .option("--json", "print JSON", false)
    .addHelpText("after", "\nNeeds root for apt-get. The guest image goes to $VNVDIMM_GUEST_CACHE, else $XDG_CACHE_HOME/vnvdimm/guest, else ~/.cache/vnvdimm/guest.\nExample:\n  vnvdimm setup qemu")
    .action(async (o: { install: boolean; force: boolean; kvmProbe: boolean; json: boolean }) => {
      const { setupQemuCommand } = await import("../../api/index.js");
      const r = await setupQemuCommand.run({ install: o.install, force: o.force, probeKvm: o.kvmProbe, log: (l) => ctx.io.err(`setup: ${l}\n`) });
      print(ctx, o.json, r, () => [
        r.installed.length ? `Installed ${r.installed.join(", ")}` : "All packages were installed already",
        `QEMU ${r.qemuVersion}; guest Linux ${r.image.kernelVersion}`,
        `Guest image ${r.image.built ? "built" : "up to date"} in ${r.image.dir} (initramfs ${(r.image.initrdBytes / 2 ** 20).toFixed(1)} MiB, sha256 ${r.image.initrdSha256.slice(0, 16)}…, ${r.image.seconds.toFixed(2)} s)`,
        `Accelerator for new domains: ${r.accel.accel} (${r.accel.reason})`,
      ].join("\n"));
    });
}
