// Discovery on a real pmem host: the firmware tables as Linux exposes them,
// /sys/firmware/acpi/tables/NFIT and /sys/firmware/memmap/N/{start,end,type}.
// Only reads. The result is the same bytes an emulated host hands its
// hypervisor: an E820 map and an NFIT.
import { existsSync, readFileSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { E820Type, encodeE820 } from "../formats/index.js";

const TYPE_BY_NAME: Record<string, number> = {
  "System RAM": E820Type.ram,
  "Reserved": E820Type.reserved,
  "ACPI Tables": E820Type.acpi,
  "ACPI Non-volatile Storage": E820Type.nvs,
  "Unusable memory": E820Type.unusable,
  "Persistent Memory": E820Type.pmem,
  "Persistent Memory (legacy)": E820Type.legacyPmem,
};

export class DiscoveryError extends Error {
  readonly code = "host.discovery";
  constructor(message: string) {
    super(message);
    this.name = "DiscoveryError";
  }
}

export interface DiscoveredFirmware {
  e820: Uint8Array;
  nfit: Uint8Array | null;
  unknownTypes: string[];
}

/** Reads a sysfs root (`/` on a real host, a fixture directory in tests). */
export function discoverFromSysfs(root = "/"): DiscoveredFirmware {
  const memmap = join(root, "sys/firmware/memmap");
  if (!existsSync(memmap)) throw new DiscoveryError(`Cannot discover the host: ${memmap} does not exist (is this Linux with CONFIG_FIRMWARE_MEMMAP?)`);
  const unknownTypes: string[] = [];
  const entries = readdirSync(memmap).filter((n) => /^\d+$/.test(n)).sort((a, b) => Number(a) - Number(b)).map((n) => {
    const read = (f: string) => readFileSync(join(memmap, n, f), "utf8").trim();
    const start = BigInt(read("start")), end = BigInt(read("end"));
    const name = read("type");
    const type = TYPE_BY_NAME[name];
    if (type === undefined) unknownTypes.push(name);
    if (end < start) throw new DiscoveryError(`Cannot discover the host: memmap entry ${n} ends before it starts`);
    return { addr: start, sizeBytes: end - start + 1n, type: type ?? E820Type.reserved };
  });
  const nfitPath = join(root, "sys/firmware/acpi/tables/NFIT");
  const nfit = existsSync(nfitPath) ? new Uint8Array(readFileSync(nfitPath)) : null;
  return { e820: encodeE820(entries), nfit, unknownTypes };
}
