// Host state beyond the media: the hypervisor boot options (pmem_mgmt=) and
// the host's bad-block list — pages that took a machine check, which real
// firmware reports again at every boot (ARS), so an emulated host keeps them.
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { z } from "zod";

const BootOptionsSchema = z.object({ pmemMgmt: z.enum(["ram", "pmem"]) }).strict();
const BadBlocksSchema = z.object({ mfns: z.array(z.number().int().nonnegative()) }).strict();

export type HostBootOptions = z.output<typeof BootOptionsSchema>;

const bootPath = (state: string) => join(state, "host", "boot.json");
const badPath = (state: string) => join(state, "host", "badblocks.json");

function writeJson(path: string, v: unknown): void {
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(`${path}.tmp`, JSON.stringify(v, null, 2) + "\n");
  renameSync(`${path}.tmp`, path);
}

function readJson<T>(path: string, schema: z.ZodType<T>, fallback: T): T {
  if (!existsSync(path)) return fallback;
  const r = schema.safeParse(JSON.parse(readFileSync(path, "utf8")));
  if (!r.success) throw new Error(`Cannot read ${path}: ${r.error.issues[0]?.message ?? "invalid"}; fix or remove it`);
  return r.data;
}

export function readBootOptions(state: string): HostBootOptions {
  return readJson(bootPath(state), BootOptionsSchema, { pmemMgmt: "ram" });
}

export function writeBootOptions(state: string, o: HostBootOptions): void {
  writeJson(bootPath(state), o);
}

export function readBadBlocks(state: string): number[] {
  return readJson(badPath(state), BadBlocksSchema, { mfns: [] }).mfns;
}

export function addBadBlock(state: string, mfn: number): void {
  const mfns = new Set(readBadBlocks(state));
  mfns.add(mfn);
  writeJson(badPath(state), { mfns: [...mfns].sort((a, b) => a - b) });
}
