// Installing the qemu backend's packages through apt, the project's own
// install path. QEMU comes from bookworm-backports on bookworm (whose own
// QEMU, 7.2, lacks memory-backend-file offset=); the backports source is
// added when no apt source names it yet.
import { spawnSync } from "node:child_process";
import { existsSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { ALL_PACKAGES, QEMU_MIN_VERSION, QEMU_PACKAGE, installedVersions, qemuVersion, versionAtLeast, versionText } from "./packages.js";
import { SetupError } from "./setup-error.js";

export interface InstallPlan {
  /** Packages apt must install (or upgrade, for a QEMU that is too old). */
  packages: string[];
  /** Install QEMU with `-t <codename>-backports`. */
  backportsSuite: string | null;
}

export interface InstallState {
  installed: ReadonlyMap<string, string | null>;
  qemu: readonly number[] | null;
  codename: string | null;
}

/** What must be installed; pure, so the decisions are tested without apt. */
export function planInstall(s: InstallState): InstallPlan {
  const packages = ALL_PACKAGES.filter((p) => p !== QEMU_PACKAGE && !s.installed.get(p));
  const qemuOk = s.installed.get(QEMU_PACKAGE) && s.qemu && versionAtLeast(s.qemu, QEMU_MIN_VERSION);
  if (!qemuOk) packages.unshift(QEMU_PACKAGE);
  return { packages, backportsSuite: !qemuOk && s.codename === "bookworm" ? "bookworm-backports" : null };
}

export function osCodename(osRelease = "/etc/os-release"): string | null {
  try {
    return /^VERSION_CODENAME=("?)([a-z]+)\1$/m.exec(readFileSync(osRelease, "utf8"))?.[2] ?? null;
  } catch {
    return null;
  }
}

export function currentInstallState(): InstallState {
  return { installed: installedVersions(ALL_PACKAGES), qemu: qemuVersion(), codename: osCodename() };
}

const SOURCES_DIR = "/etc/apt/sources.list.d";

function aptSourcesMention(suite: string): boolean {
  const files = ["/etc/apt/sources.list", ...(existsSync(SOURCES_DIR) ? readdirSync(SOURCES_DIR).filter((f) => /\.(list|sources)$/.test(f)).map((f) => join(SOURCES_DIR, f)) : [])];
  return files.some((f) => {
    try {
      return readFileSync(f, "utf8").split("\n").some((l) => !l.trimStart().startsWith("#") && new RegExp(`(^|\\s)${suite}(\\s|$)`).test(l));
    } catch {
      return false;
    }
  });
}

function backportsSource(suite: string): string {
  return ["# Added by `vnvdimm setup qemu`: QEMU >= 8.1 for memory-backend-file offset=.", "Types: deb", "URIs: http://deb.debian.org/debian",
    `Suites: ${suite}`, "Components: main", "Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg", ""].join("\n");
}

function apt(args: string[], log: (line: string) => void): void {
  log(`apt-get ${args.join(" ")}`);
  const r = spawnSync("apt-get", args, { encoding: "utf8", env: { ...process.env, DEBIAN_FRONTEND: "noninteractive" }, maxBuffer: 64 << 20 });
  if (r.error || r.status !== 0) {
    const tail = `${r.stderr ?? ""}${r.stdout ?? ""}`.trim().split("\n").filter((l) => l.trim()).slice(-3).join(" | ");
    throw new SetupError("setup.apt-failed", `apt-get ${args[0]} failed${tail ? `: ${tail}` : ""}`, "check that the Debian mirrors are reachable (apt-get update), then run `vnvdimm setup qemu` again");
  }
}

function describe(plan: InstallPlan): string {
  return plan.packages.map((p) => (p === QEMU_PACKAGE ? `${p} (>= ${versionText(QEMU_MIN_VERSION)}${plan.backportsSuite ? `, from ${plan.backportsSuite}` : ""})` : p)).join(", ");
}

/** Installs what `plan` lists; refuses in one line when it cannot (not root, no apt). */
export function installPackages(plan: InstallPlan, log: (line: string) => void): void {
  if (plan.packages.length === 0) return;
  const what = describe(plan);
  if (typeof process.getuid === "function" && process.getuid() !== 0) {
    throw new SetupError("setup.needs-root", `vnvdimm setup qemu needs root to install ${what} with apt-get`, "run it as root, or install them yourself and run `vnvdimm setup qemu --no-install`");
  }
  if (spawnSync("apt-get", ["--version"]).error) {
    throw new SetupError("setup.no-apt", `vnvdimm setup qemu needs apt-get to install ${what}, and there is none`, "install them with your package manager, then run `vnvdimm setup qemu --no-install`");
  }
  if (plan.backportsSuite && !aptSourcesMention(plan.backportsSuite)) {
    const file = join(SOURCES_DIR, `vnvdimm-${plan.backportsSuite}.sources`);
    log(`adding ${plan.backportsSuite} to apt's sources (${file})`);
    writeFileSync(file, backportsSource(plan.backportsSuite));
  }
  apt(["update", "-q"], log);
  const others = plan.packages.filter((p) => p !== QEMU_PACKAGE);
  const base = ["install", "-y", "-q", "--no-install-recommends"];
  if (plan.packages.includes(QEMU_PACKAGE)) apt([...base, ...(plan.backportsSuite ? ["-t", plan.backportsSuite] : []), QEMU_PACKAGE], log);
  if (others.length) apt([...base, ...others], log);
  const v = qemuVersion();
  if (!v) throw new SetupError("setup.qemu-missing", "apt-get installed qemu-system-x86 but qemu-system-x86_64 does not run", "run `qemu-system-x86_64 --version` to see why");
  if (!versionAtLeast(v, QEMU_MIN_VERSION)) {
    throw new SetupError("setup.qemu-too-old", `QEMU ${versionText(v)} is installed; vnvdimm needs ${versionText(QEMU_MIN_VERSION)} or later (memory-backend-file offset=)`, "install qemu-system-x86 from your distribution's backports");
  }
}
