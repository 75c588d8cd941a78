// Builds the guest image: Debian's kernel and an initramfs holding the
// nvdimm modules (in load order), busybox, ndctl, daxctl, mkfs.ext4 and e2fsck with
// their shared libraries, and vnvdimm's /init. The build is skipped when a
// stamp of every input (package versions, file sizes and mtimes, the module
// list, /init) is unchanged, and is reproducible: the same inputs give the
// same bytes (see cpio-newc.ts).
import { spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, renameSync, rmSync, statSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { guestFile } from "../guest-files.js";
import { GUEST_PACKAGES, installedVersions } from "../setup/packages.js";
import { SetupError } from "../setup/setup-error.js";
import { encodeNewc, type CpioEntry } from "./cpio-newc.js";
import { guestCacheDir, imagePaths, readImage, type ImageManifest } from "./cache-dir.js";
import { moduleName, parseLdd, parseShowDepends } from "./tool-output.js";

/** Bump when the image layout changes, so old caches are rebuilt. */
export const IMAGE_FORMAT = 1;
/** Loaded in the guest, with their dependencies. */
export const GUEST_MODULES = ["libnvdimm", "nfit", "nd_btt", "nd_pmem", "device_dax", "dax_pmem", "kmem", "qemu_fw_cfg", "ext4"] as const;
/** The guest's tools, as placed in the image. */
const TOOLS = [
  { image: "usr/bin/ndctl", host: ["/usr/bin/ndctl"] },
  { image: "usr/bin/daxctl", host: ["/usr/bin/daxctl"] },
  { image: "usr/sbin/mke2fs", host: ["/usr/sbin/mke2fs", "/sbin/mke2fs"] },
  // What a pmem user reaches for after a crash or before a resize: check, tune, dump an ext4 on a namespace.
  { image: "usr/sbin/e2fsck", host: ["/usr/sbin/e2fsck", "/sbin/e2fsck"] },
  { image: "usr/sbin/tune2fs", host: ["/usr/sbin/tune2fs", "/sbin/tune2fs"] },
  { image: "usr/sbin/dumpe2fs", host: ["/usr/sbin/dumpe2fs", "/sbin/dumpe2fs"] },
  // Only for guest/daxio.pl: device DAX is reached through mmap, which no busybox applet does.
  { image: "usr/bin/perl", host: ["/usr/bin/perl"] },
];
/** Guest-side files from the source tree, and where they go in the image. */
const GUEST_FILES = [{ name: "init", image: "init", mode: 0o755 }, { name: "daxio.pl", image: "usr/lib/vnvdimm/daxio.pl", mode: 0o644 }] as const;
const BUSYBOX = ["/usr/bin/busybox", "/bin/busybox"];
/** Configuration the tools read, copied when present. */
const CONFIG_PATHS = ["/etc/mke2fs.conf", "/etc/ndctl.conf.d", "/etc/daxctl.conf.d", "/usr/share/daxctl"];
/** CPU-specific crypto modules cannot load on QEMU's default qemu64 CPU (no SSE4.2); the generic ones are used. */
const SKIP_MODULE_DIRS = ["/arch/x86/crypto/"];

interface Inputs {
  kver: string;
  vmlinuz: string;
  busybox: string;
  tools: { image: string; host: string }[];
  libs: string[];
  modules: string[];
  config: string[];
  guestFiles: { image: string; host: string; mode: number }[];
  packages: Record<string, string | null>;
}

function run(cmd: string, args: string[]): string {
  const r = spawnSync(cmd, args, { encoding: "utf8", maxBuffer: 64 << 20 });
  if (r.error) throw new SetupError("setup.tool-missing", `Cannot run ${cmd}: ${r.error.message}`, "run `vnvdimm setup qemu` (it installs what the image needs)");
  if (r.status !== 0) throw new SetupError("setup.build-failed", `${cmd} ${args.join(" ")} failed: ${r.stderr.trim().split("\n").at(-1) ?? ""}`);
  return r.stdout;
}

const firstExisting = (paths: readonly string[]): string | undefined => paths.find((p) => existsSync(p));

function kernelVersion(): string {
  const env = process.env["VNVDIMM_GUEST_KVER"];
  if (env) return env;
  const r = spawnSync("dpkg-query", ["-W", "-f", "${Depends}", "linux-image-amd64"], { encoding: "utf8" });
  const m = /linux-image-(\d[^\s,(]*)/.exec(r.stdout ?? "");
  if (!m) throw new SetupError("setup.kernel-missing", "No Debian kernel package (linux-image-amd64) is installed", "run `vnvdimm setup qemu` as root; it installs it");
  return m[1]!;
}

function collectInputs(): Inputs {
  const kver = kernelVersion();
  const vmlinuz = `/boot/vmlinuz-${kver}`;
  if (!existsSync(vmlinuz) || !existsSync(`/lib/modules/${kver}`)) {
    throw new SetupError("setup.kernel-missing", `Kernel ${kver} is not installed (${vmlinuz}, /lib/modules/${kver})`, "run `vnvdimm setup qemu` as root; it installs linux-image-amd64");
  }
  const busybox = firstExisting(BUSYBOX);
  if (!busybox) throw new SetupError("setup.tool-missing", "No static busybox (package busybox-static)", "run `vnvdimm setup qemu` as root");
  const tools = TOOLS.map((t) => {
    const host = firstExisting(t.host);
    if (!host) throw new SetupError("setup.tool-missing", `No ${t.host[0]} (packages ndctl, daxctl, e2fsprogs)`, "run `vnvdimm setup qemu` as root");
    return { image: t.image, host };
  });
  const libs = [...new Set(tools.flatMap((t) => parseLdd(run("ldd", [t.host]))))].sort();
  // -C /dev/null: ndctl installs an "install libnvdimm …" rule in modprobe.d that would replace libnvdimm's insmod line.
  const modules = parseShowDepends(run("modprobe", ["-C", "/dev/null", "-S", kver, "--show-depends", "-a", ...GUEST_MODULES]))
    .filter((p) => !SKIP_MODULE_DIRS.some((d) => p.includes(d)));
  const missing = GUEST_MODULES.filter((m) => !modules.some((p) => moduleName(p) === m) && !builtin(kver, m));
  if (missing.length) throw new SetupError("setup.build-failed", `Kernel ${kver} has no module ${missing.join(", ")}`, "install Debian's linux-image-amd64");
  const config = CONFIG_PATHS.flatMap((p) => (existsSync(p) ? filesUnder(p) : []));
  const packages = Object.fromEntries(installedVersions([...GUEST_PACKAGES, `linux-image-${kver}`, "libndctl6", "libdaxctl1", "libc6"]));
  const guestFiles = GUEST_FILES.map((g) => ({ image: g.image, host: guestFile(g.name), mode: g.mode }));
  return { kver, vmlinuz, busybox, tools, libs, modules, config, guestFiles, packages };
}

function builtin(kver: string, name: string): boolean {
  try {
    return readFileSync(`/lib/modules/${kver}/modules.builtin`, "utf8").split("\n").some((l) => moduleName(l) === name);
  } catch {
    return false;
  }
}

function filesUnder(p: string): string[] {
  if (!statSync(p).isDirectory()) return [p];
  return readdirSync(p).sort().flatMap((n) => filesUnder(join(p, n)));
}

function stampOf(i: Inputs): string {
  const files = [i.vmlinuz, i.busybox, ...i.tools.map((t) => t.host), ...i.libs, ...i.modules, ...i.config].map((f) => {
    const s = statSync(f);
    return [f, s.size, Math.trunc(s.mtimeMs)];
  });
  const h = createHash("sha256");
  h.update(JSON.stringify({ format: IMAGE_FORMAT, kver: i.kver, modules: GUEST_MODULES, packages: i.packages, files }));
  for (const g of i.guestFiles) h.update(readFileSync(g.host));
  return h.digest("hex");
}

/** A module file's bytes, uncompressed (insmod in busybox reads plain .ko). */
function moduleBytes(path: string): Uint8Array {
  if (path.endsWith(".ko")) return readFileSync(path);
  const tool = path.endsWith(".xz") ? "xz" : path.endsWith(".zst") ? "zstd" : "gzip";
  const r = spawnSync(tool, ["-dc", path], { maxBuffer: 256 << 20 });
  if (r.error || r.status !== 0) throw new SetupError("setup.tool-missing", `Cannot decompress ${path} with ${tool}`, `install ${tool}`);
  return r.stdout;
}

const executable = (path: string): number => ((statSync(path).mode & 0o111) !== 0 ? 0o755 : 0o644);
const rel = (p: string): string => p.replace(/^\/+/, "");

/** Modules staged on disk only so depmod can index them; everything else goes straight into the archive. */
function moduleEntries(i: Inputs): { entries: CpioEntry[]; list: string[] } {
  const modDir = `/lib/modules/${i.kver}`;
  const stage = mkdtempSync(join(guestCacheDir(), "stage-"));
  try {
    const list: string[] = [];
    const kdir = join(stage, "lib", "modules", i.kver);
    for (const ko of i.modules) {
      const r = ko.startsWith(`${modDir}/`) ? ko.slice(modDir.length + 1).replace(/\.(xz|zst|gz)$/, "") : `extra/${moduleName(ko)}.ko`;
      mkdirSync(dirname(join(kdir, r)), { recursive: true });
      writeFileSync(join(kdir, r), moduleBytes(ko));
      list.push(r);
    }
    for (const f of ["modules.order", "modules.builtin", "modules.builtin.modinfo"]) if (existsSync(join(modDir, f))) copyFileSync(join(modDir, f), join(kdir, f));
    // libkmod inside ndctl/daxctl looks modules up by name; depmod gives it an index.
    run("depmod", ["-b", stage, i.kver]);
    const entries = filesUnder(kdir).map((f): CpioEntry => ({ kind: "file", path: rel(f.slice(stage.length)), mode: 0o644, data: readFileSync(f) }));
    return { entries, list };
  } finally {
    rmSync(stage, { recursive: true, force: true });
  }
}

function withParents(entries: CpioEntry[]): CpioEntry[] {
  const dirs = new Set<string>(entries.filter((e) => e.kind === "dir").map((e) => e.path));
  const out = [...entries];
  for (const e of entries) {
    for (let d = dirname(e.path); d !== "." && !dirs.has(d); d = dirname(d)) {
      dirs.add(d);
      out.push({ kind: "dir", path: d });
    }
  }
  return out;
}

function archive(i: Inputs): { bytes: Uint8Array; modules: string[] } {
  const entries: CpioEntry[] = [];
  const file = (image: string, host: string, mode = executable(host)) => entries.push({ kind: "file", path: rel(image), mode, data: readFileSync(host) });
  file("bin/busybox", i.busybox, 0o755);
  const applets = run(i.busybox, ["--list"]).split("\n").map((s) => s.trim()).filter((a) => /^[\w.[-]+$/.test(a) && a !== "busybox");
  for (const a of applets) entries.push({ kind: "symlink", path: `bin/${a}`, target: "busybox" });
  for (const t of i.tools) file(t.image, t.host, 0o755);
  entries.push({ kind: "symlink", path: "usr/sbin/mkfs.ext4", target: "mke2fs" });
  for (const l of i.libs) file(l, l, l.includes("/ld-linux") ? 0o755 : 0o644);
  for (const c of i.config) file(c, c);
  const mods = moduleEntries(i);
  entries.push(...mods.entries);
  entries.push({ kind: "file", path: "etc/vnvdimm/modules.list", mode: 0o644, data: new TextEncoder().encode(mods.list.join("\n") + "\n") });
  entries.push({ kind: "file", path: "etc/passwd", mode: 0o644, data: new TextEncoder().encode("root:x:0:0:root:/root:/bin/sh\n") });
  entries.push({ kind: "file", path: "etc/group", mode: 0o644, data: new TextEncoder().encode("root:x:0:\n") });
  for (const g of i.guestFiles) file(g.image, g.host, g.mode);
  for (const d of ["dev", "proc", "sys", "tmp", "run", "mnt", "root"]) entries.push({ kind: "dir", path: d });
  // The console before devtmpfs is mounted over /dev.
  entries.push({ kind: "chardev", path: "dev/console", mode: 0o600, major: 5, minor: 1 });
  entries.push({ kind: "chardev", path: "dev/null", mode: 0o666, major: 1, minor: 3 });
  return { bytes: encodeNewc(withParents(entries)), modules: mods.list };
}

export interface ImageResult {
  dir: string;
  kernel: string;
  initrd: string;
  kernelVersion: string;
  /** False when the cached image was up to date. */
  built: boolean;
  initrdBytes: number;
  initrdSha256: string;
  seconds: number;
}

function writeAtomic(path: string, bytes: Uint8Array | string): void {
  const tmp = `${path}.tmp-${process.pid}`;
  writeFileSync(tmp, bytes);
  renameSync(tmp, path);
}

/** Builds the guest image into the cache, unless the cached one was built from the same inputs. */
export function buildGuestImage(opts: { force?: boolean; dir?: string; log?: (line: string) => void } = {}): ImageResult {
  const t0 = performance.now();
  const dir = opts.dir ?? guestCacheDir();
  mkdirSync(dir, { recursive: true });
  const p = imagePaths(dir);
  const inputs = collectInputs();
  const stamp = stampOf(inputs);
  const cached = readImage(dir);
  const seconds = () => (performance.now() - t0) / 1000;
  if (!opts.force && cached && cached.stamp === stamp) {
    return { dir, kernel: p.kernel, initrd: p.initrd, kernelVersion: cached.kernelVersion, built: false, initrdBytes: cached.initrdBytes, initrdSha256: cached.initrdSha256, seconds: seconds() };
  }
  opts.log?.(`building the guest image for Linux ${inputs.kver} in ${dir}`);
  const { bytes, modules } = archive(inputs);
  const sha = createHash("sha256").update(bytes).digest("hex");
  // The stamp goes last: until it matches, readers treat the cache as absent.
  rmSync(p.stamp, { force: true });
  writeAtomic(p.initrd, bytes);
  writeAtomic(p.kernel, readFileSync(inputs.vmlinuz));
  const manifest: ImageManifest = { format: IMAGE_FORMAT, kernelVersion: inputs.kver, stamp, initrdSha256: sha, initrdBytes: bytes.length, modules, packages: inputs.packages };
  writeAtomic(p.manifest, JSON.stringify(manifest, null, 2) + "\n");
  writeAtomic(p.stamp, stamp + "\n");
  return { dir, kernel: p.kernel, initrd: p.initrd, kernelVersion: inputs.kver, built: true, initrdBytes: bytes.length, initrdSha256: sha, seconds: seconds() };
}
