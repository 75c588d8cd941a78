// KVM only when it boots a guest here. /dev/kvm can exist and still not run
// a stock kernel (for instance a nested, software-virtualised KVM): the probe
// boots the guest image under -accel kvm and waits for /init's first line.
// The result is kept next to the image, for the same image and QEMU.
import { spawn } from "node:child_process";
import { accessSync, constants, existsSync, readFileSync, writeFileSync } from "node:fs";
import { z } from "zod";
import { QEMU_BINARY } from "./packages.js";
import { imagePaths } from "../image/cache-dir.js";
import type { QemuAccel } from "../argv.js";

const ProbeSchema = z.object({ key: z.string(), kvm: z.boolean(), reason: z.string() });
export type KvmProbe = z.output<typeof ProbeSchema>;

export const FIRST_LINE_MARK = "vnvdimm-guest:";
const PROBE_TIMEOUT_MS = 12_000;

function bootsUnderKvm(kernel: string, initrd: string): Promise<{ ok: boolean; reason: string }> {
  return new Promise((done) => {
    const child = spawn(QEMU_BINARY, ["-machine", "pc", "-accel", "kvm", "-m", "256M", "-nodefaults", "-display", "none", "-no-reboot",
      "-serial", "stdio", "-kernel", kernel, "-initrd", initrd, "-append", "console=ttyS0 panic=-1 quiet"], { stdio: ["ignore", "pipe", "pipe"] });
    let out = "", err = "";
    const finish = (ok: boolean, reason: string) => {
      clearTimeout(timer);
      child.kill("SIGKILL");
      done({ ok, reason });
    };
    const timer = setTimeout(() => finish(false, `no guest output within ${PROBE_TIMEOUT_MS / 1000} s under KVM`), PROBE_TIMEOUT_MS);
    child.stdout.on("data", (b: Buffer) => {
      out += b.toString("latin1");
      if (out.includes(FIRST_LINE_MARK)) finish(true, "a guest booted under KVM");
    });
    child.stderr.on("data", (b: Buffer) => { err += b.toString("latin1"); });
    child.on("error", (e) => finish(false, `cannot run ${QEMU_BINARY}: ${e.message}`));
    child.on("exit", (code) => {
      if (!out.includes(FIRST_LINE_MARK)) finish(false, `QEMU exited (${code}) under KVM: ${err.trim().split("\n")[0] ?? ""}`.trim());
    });
  });
}

/** Runs the probe (or reads its cached result for this image and QEMU). */
export async function probeKvm(cacheDir: string, key: string, kernel: string, initrd: string): Promise<KvmProbe> {
  const file = imagePaths(cacheDir).kvmProbe;
  try {
    const cached = ProbeSchema.safeParse(JSON.parse(readFileSync(file, "utf8")));
    if (cached.success && cached.data.key === key) return cached.data;
  } catch { /* no cached probe */ }
  let result: { ok: boolean; reason: string };
  if (!existsSync("/dev/kvm")) result = { ok: false, reason: "no /dev/kvm" };
  else {
    try {
      accessSync("/dev/kvm", constants.R_OK | constants.W_OK);
      result = await bootsUnderKvm(kernel, initrd);
    } catch {
      result = { ok: false, reason: "/dev/kvm is not accessible" };
    }
  }
  const probe = { key, kvm: result.ok, reason: result.reason };
  writeFileSync(file, JSON.stringify(probe, null, 2) + "\n");
  return probe;
}

/** The accelerator for new domains: $VNVDIMM_QEMU_ACCEL, else KVM when the probe passed, else TCG. */
export function chooseAccel(cacheDir: string, env: NodeJS.ProcessEnv = process.env): { accel: QemuAccel; reason: string } {
  const forced = env["VNVDIMM_QEMU_ACCEL"];
  if (forced === "tcg" || forced === "kvm") return { accel: forced, reason: "VNVDIMM_QEMU_ACCEL" };
  try {
    const p = ProbeSchema.parse(JSON.parse(readFileSync(imagePaths(cacheDir).kvmProbe, "utf8")));
    return p.kvm ? { accel: "kvm", reason: p.reason } : { accel: "tcg", reason: p.reason };
  } catch {
    return { accel: "tcg", reason: "KVM was not probed (run `vnvdimm setup qemu`)" };
  }
}
