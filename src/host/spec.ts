// The machine spec of an emulated host, validated with zod. Sizes may be
// written as numbers or as "8G", "128K", "0x200000". The embedded default is
// 2 sockets with RAM and one 8 GiB NVDIMM on each node.
import { z } from "zod";
import { parseSize } from "../formats/index.js";

const size = z.union([z.number().int().nonnegative(), z.string()]).transform((v, ctx) => {
  const n = typeof v === "number" ? BigInt(v) : parseSize(v);
  if (n === undefined) {
    ctx.addIssue({ code: "custom", message: `"${String(v)}" is not a size (use e.g. 8G, 128K or 4096)` });
    return z.NEVER;
  }
  return n;
});

const MiB = 1n << 20n;
const GiB = 1n << 30n;

export const MachineSpecSchema = z.object({
  name: z.string().min(1).max(64).regex(/^[A-Za-z0-9._-]+$/, "use letters, digits, '.', '_' or '-'"),
  sockets: z.array(z.object({
    node: z.number().int().min(0).max(4095),
    ram: size.refine((n) => n >= 64n * MiB && n % MiB === 0n, "RAM must be a whole number of MiB, at least 64M"),
  }).strict()).min(1).max(16),
  nvdimms: z.array(z.object({
    node: z.number().int().min(0).max(4095),
    size: size.refine((n) => n >= 16n * MiB && n % (2n * MiB) === 0n, "NVDIMM size must be a multiple of 2M, at least 16M"),
    labelSize: size.default(128n * 1024n).refine((n) => n >= 128n * 1024n && n % 4096n === 0n, "labelSize must be at least 128K and a multiple of 4K"),
    serial: z.number().int().min(1).max(0xffffffff).optional(),
  }).strict()).max(32),
  /** List persistent memory in the E820 map as type 7, as some firmware does. */
  e820Pmem: z.boolean().default(true),
}).strict().superRefine((s, ctx) => {
  const nodes = new Set(s.sockets.map((x) => x.node));
  if (nodes.size !== s.sockets.length) ctx.addIssue({ code: "custom", path: ["sockets"], message: "each socket needs its own node" });
  s.nvdimms.forEach((d, i) => {
    if (!nodes.has(d.node)) ctx.addIssue({ code: "custom", path: ["nvdimms", i, "node"], message: `node ${d.node} has no socket` });
  });
  const total = s.nvdimms.reduce((a, d) => a + d.size, 0n);
  if (total > 64n * 1024n * GiB) ctx.addIssue({ code: "custom", path: ["nvdimms"], message: "more than 64 TiB of NVDIMM" });
});

export type MachineSpec = z.output<typeof MachineSpecSchema>;

export const DEFAULT_MACHINE_SPEC_SOURCE = {
  name: "default",
  sockets: [{ node: 0, ram: "4G" }, { node: 1, ram: "4G" }],
  nvdimms: [{ node: 0, size: "8G", labelSize: "128K" }, { node: 1, size: "8G", labelSize: "128K" }],
  e820Pmem: true,
} as const;

export class SpecError extends Error {
  readonly code = "spec.invalid";
  constructor(readonly source: string, readonly issues: { path: string; message: string }[]) {
    super(`Invalid machine spec ${source}: ${issues.map((i) => `${i.path || "(top)"}: ${i.message}`).join("; ")}`);
    this.name = "SpecError";
  }
  toJSON(): object {
    return { error: this.code, message: this.message, issues: this.issues };
  }
}

/** Parses and validates a spec; throws SpecError naming every bad key. */
export function parseMachineSpec(value: unknown, source = "(embedded default)"): MachineSpec {
  const r = MachineSpecSchema.safeParse(value);
  if (r.success) return r.data;
  throw new SpecError(source, r.error.issues.map((i) => ({ path: i.path.join("."), message: i.message })));
}

export function defaultMachineSpec(): MachineSpec {
  return parseMachineSpec(DEFAULT_MACHINE_SPEC_SOURCE);
}
