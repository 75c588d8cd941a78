// Host state beyond the media: the hypervisor boot options (pmem_mgmt=) and
// the host's bad-block list — pages that took a machine check, which real
// firmware reports again at every boot (ARS), so an emulated host keeps them.
import { join } from "node:path";
import { z } from "zod";
import { readJson, writeJson } from "./state-json.js";

const BootOptionsSchema = z.object({ pmemMgmt: z.enum(["ram", "pmem"]) }).strict();
const BadBlocksSchema = z.object({ mfns: z.array(z.number().int().nonnegative()) }).strict();

export type HostBootOptions = z.output<typeof BootOptionsSchema>;

const bootPath = (state: string) => join(state, "host", "boot.json");
const badPath = (state: string) => join(state, "host", "badblocks.json");

export function readBootOptions(state: string): HostBootOptions {
  return readJson(bootPath(state), BootOptionsSchema, { pmemMgmt: "ram" }, `fix it to {"pmemMgmt": "ram"} or "pmem", or remove it (the default is ram)`);
}

export function writeBootOptions(state: string, o: HostBootOptions): void {
  writeJson(bootPath(state), o);
}

export function readBadBlocks(state: string): number[] {
  return readJson(badPath(state), BadBlocksSchema, { mfns: [] }, `fix it to {"mfns": [MFN, ...]}, or remove it (its pages are then no longer broken)`).mfns;
}

export function addBadBlock(state: string, mfn: number): void {
  const mfns = new Set(readBadBlocks(state));
  mfns.add(mfn);
  writeJson(badPath(state), { mfns: [...mfns].sort((a, b) => a - b) });
}
