// Where the guest image lives: $VNVDIMM_GUEST_CACHE, else
// $XDG_CACHE_HOME/vnvdimm/guest, else ~/.cache/vnvdimm/guest.
import { existsSync, readFileSync } from "node:fs";
import { homedir } from "node:os";
import { join, resolve } from "node:path";
import { z } from "zod";

export function guestCacheDir(env: NodeJS.ProcessEnv = process.env): string {
  if (env["VNVDIMM_GUEST_CACHE"]) return resolve(env["VNVDIMM_GUEST_CACHE"]);
  const base = env["XDG_CACHE_HOME"] ? resolve(env["XDG_CACHE_HOME"]) : join(homedir(), ".cache");
  return join(base, "vnvdimm", "guest");
}

export const imagePaths = (dir: string) => ({
  dir,
  kernel: join(dir, "vmlinuz"),
  initrd: join(dir, "initrd.img"),
  manifest: join(dir, "manifest.json"),
  stamp: join(dir, "stamp"),
  kvmProbe: join(dir, "kvm-probe.json"),
});

const ManifestSchema = z.object({
  format: z.number(),
  kernelVersion: z.string(),
  stamp: z.string(),
  initrdSha256: z.string(),
  initrdBytes: z.number(),
  modules: z.array(z.string()),
  packages: z.record(z.string(), z.string().nullable()),
});
export type ImageManifest = z.output<typeof ManifestSchema>;

/** The built image, or undefined when there is none (or it is incomplete). */
export function readImage(dir = guestCacheDir()): (ImageManifest & { kernel: string; initrd: string }) | undefined {
  const p = imagePaths(dir);
  if (![p.kernel, p.initrd, p.manifest, p.stamp].every((f) => existsSync(f))) return undefined;
  try {
    const m = ManifestSchema.safeParse(JSON.parse(readFileSync(p.manifest, "utf8")));
    if (!m.success || m.data.stamp !== readFileSync(p.stamp, "utf8").trim()) return undefined;
    return { ...m.data, kernel: p.kernel, initrd: p.initrd };
  } catch {
    return undefined;
  }
}
