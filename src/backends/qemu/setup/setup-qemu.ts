// `vnvdimm setup qemu`: the packages (through apt), the guest image (cached),
// and the KVM probe. Idempotent: with everything in place it only checks.
import { currentInstallState, installPackages, planInstall } from "./apt-install.js";
import { ALL_PACKAGES, QEMU_MIN_VERSION, installedVersions, qemuVersion, versionAtLeast, versionText } from "./packages.js";
import { SetupError } from "./setup-error.js";
import { probeKvm } from "./kvm-probe.js";
import { buildGuestImage, type ImageResult } from "../image/build-image.js";
import { guestCacheDir } from "../image/cache-dir.js";
import type { QemuAccel } from "../argv.js";

export interface SetupQemuOptions {
  /** Install missing packages with apt (default true). */
  install?: boolean;
  /** Rebuild the image even when its stamp is unchanged. */
  force?: boolean;
  /** Skip the KVM probe (TCG is used). */
  probeKvm?: boolean;
  log?: (line: string) => void;
}

export interface SetupQemuResult {
  installed: string[];
  packages: Record<string, string | null>;
  qemuVersion: string;
  image: ImageResult;
  accel: { accel: QemuAccel; reason: string };
}

export async function setupQemu(opts: SetupQemuOptions = {}): Promise<SetupQemuResult> {
  const log = opts.log ?? (() => {});
  const plan = planInstall(currentInstallState());
  if (plan.packages.length) {
    if (opts.install === false) {
      throw new SetupError("setup.tool-missing", `Missing: ${plan.packages.join(", ")}`, "run `vnvdimm setup qemu` as root without --no-install; it installs them with apt-get");
    }
    installPackages(plan, log);
  }
  const v = qemuVersion();
  if (!v || !versionAtLeast(v, QEMU_MIN_VERSION)) {
    throw new SetupError("setup.qemu-too-old", `QEMU ${v ? versionText(v) : "(none)"} cannot map a vNVDIMM extent; vnvdimm needs ${versionText(QEMU_MIN_VERSION)} or later`, "run `vnvdimm setup qemu` as root");
  }
  const image = buildGuestImage({ ...(opts.force ? { force: true } : {}), dir: guestCacheDir(), log });
  let accel: SetupQemuResult["accel"] = { accel: "tcg", reason: "KVM probe skipped" };
  if (opts.probeKvm !== false) {
    const probe = await probeKvm(image.dir, `${image.initrdSha256}:${versionText(v)}`, image.kernel, image.initrd);
    accel = probe.kvm ? { accel: "kvm", reason: probe.reason } : { accel: "tcg", reason: probe.reason };
  }
  return { installed: plan.packages, packages: Object.fromEntries(installedVersions(ALL_PACKAGES)), qemuVersion: versionText(v), image, accel };
}
