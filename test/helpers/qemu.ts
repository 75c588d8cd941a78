// Whether the qemu backend can run here, and why not: the e2e tests with real
// Linux guests skip with that reason, unless VNVDIMM_REQUIRE_QEMU=1 (CI),
// where a missing QEMU or guest image is a failure.
import { QEMU_MIN_VERSION, qemuVersion, readImage, versionAtLeast, versionText } from "../../src/backends/index.js";

export function qemuUnavailable(): string | undefined {
  const v = qemuVersion();
  if (!v) return "qemu-system-x86_64 is not installed";
  if (!versionAtLeast(v, QEMU_MIN_VERSION)) return `QEMU ${versionText(v)} is older than ${versionText(QEMU_MIN_VERSION)}`;
  if (!readImage()) return "there is no guest image";
  return undefined;
}

/** node:test's skip option: false, or the reason. */
export function qemuSkip(): string | false {
  const why = qemuUnavailable();
  if (!why) return false;
  if (process.env["VNVDIMM_REQUIRE_QEMU"] === "1") return false;
  return `real Linux guests need the qemu backend: ${why} (as root, \`vnvdimm setup qemu\` installs it through apt; apt was not reachable or not allowed)`;
}
