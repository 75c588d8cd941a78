// The Debian packages the qemu backend needs, and what is installed now.
// QEMU must be at least 8.1, the first release with memory-backend-file's
// offset= (a vNVDIMM is a window of a host DIMM file); bookworm has 7.2 and
// bookworm-backports has 10.x.
import { spawnSync } from "node:child_process";

export const QEMU_PACKAGE = "qemu-system-x86";
export const QEMU_BINARY = "qemu-system-x86_64";
export const QEMU_MIN_VERSION: readonly [number, number] = [8, 1];
/** The guest image's inputs: Debian's kernel, a static busybox, ndctl/daxctl, mkfs.ext4; kmod for modprobe/depmod. */
export const GUEST_PACKAGES = ["linux-image-amd64", "busybox-static", "ndctl", "daxctl", "e2fsprogs", "kmod"] as const;
export const ALL_PACKAGES = [QEMU_PACKAGE, ...GUEST_PACKAGES] as const;

/** Installed version of each package, or null. */
export function installedVersions(names: readonly string[]): Map<string, string | null> {
  const out = new Map<string, string | null>(names.map((n) => [n, null]));
  const r = spawnSync("dpkg-query", ["-W", "-f", "${Package}\\t${db:Status-Abbrev}\\t${Version}\\n", ...names], { encoding: "utf8" });
  if (r.error) return out;
  for (const line of r.stdout.split("\n")) {
    const [name, status, version] = line.split("\t");
    if (name && out.has(name) && status?.startsWith("ii") && version) out.set(name, version);
  }
  return out;
}

/** "QEMU emulator version 10.0.2 (Debian …)" → [10, 0, 2]. */
export function parseQemuVersion(text: string): [number, number, number] | null {
  const m = /QEMU emulator version (\d+)\.(\d+)(?:\.(\d+))?/.exec(text);
  return m ? [Number(m[1]), Number(m[2]), Number(m[3] ?? 0)] : null;
}

export function versionAtLeast(v: readonly number[], min: readonly number[]): boolean {
  for (let i = 0; i < min.length; i++) {
    const a = v[i] ?? 0, b = min[i]!;
    if (a !== b) return a > b;
  }
  return true;
}

/** The version of the QEMU on PATH, or null when there is none. */
export function qemuVersion(binary = QEMU_BINARY): [number, number, number] | null {
  const r = spawnSync(binary, ["--version"], { encoding: "utf8" });
  return r.error || r.status !== 0 ? null : parseQemuVersion(r.stdout);
}

export const versionText = (v: readonly number[]): string => v.join(".");
