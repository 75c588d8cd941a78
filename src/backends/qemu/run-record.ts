// What a domain's QEMU was started with (run.json): its argv, and the parts
// of the guest layout QEMU fixed at boot — slots, maxmem, the NUMA nodes and
// the windows — which a hotplug must fit into.
import { readFileSync, renameSync, writeFileSync } from "node:fs";
import { z } from "zod";
import type { QemuDomainPaths } from "./domain-files.js";

const big = z.string().regex(/^\d+$/).transform((s) => BigInt(s));

const RunSchema = z.object({
  pid: z.number().int().positive(),
  accel: z.enum(["tcg", "kvm"]),
  argv: z.array(z.string()),
  ramBytes: big,
  slots: z.number().int().nonnegative(),
  maxmemBytes: big,
  deviceMemoryBase: big,
  nodes: z.number().int().positive(),
  windows: z.array(z.object({ slot: z.number().int().nonnegative(), gpa: big, sizeBytes: big })),
  initrdSha256: z.string(),
  startedAt: z.string(),
});

export type QemuRunRecord = z.output<typeof RunSchema>;

export function writeRunRecord(p: QemuDomainPaths, r: QemuRunRecord): void {
  const tmp = `${p.run}.tmp-${process.pid}`;
  writeFileSync(tmp, JSON.stringify(r, (_k, v: unknown) => (typeof v === "bigint" ? v.toString() : v), 2) + "\n");
  renameSync(tmp, p.run);
}

export function readRunRecord(p: QemuDomainPaths): QemuRunRecord | undefined {
  try {
    const r = RunSchema.safeParse(JSON.parse(readFileSync(p.run, "utf8")));
    return r.success ? r.data : undefined;
  } catch {
    return undefined;
  }
}
