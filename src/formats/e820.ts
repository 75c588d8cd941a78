// The E820 memory map: the firmware's list of address ranges and their types,
// where persistent memory appears as type 7 (or the legacy 12).
import { defineStruct, type Record_ } from "./struct.js";
import { reason, type Reason } from "./reasons.js";
import { U64_MAX, addU64, hex } from "./units.js";

export const E820Entry = defineStruct({
  name: "e820_entry",
  size: 20,
  spec: "ACPI 6.4 §15.1 (INT 15h E820h address range descriptor); Linux struct e820_entry",
  fields: [
    { name: "addr", offset: 0, kind: "u64" },
    { name: "sizeBytes", offset: 8, kind: "u64" },
    { name: "type", offset: 16, kind: "u32", spec: "ACPI 6.4 Table 15.1; 12 is Linux's E820_TYPE_PRAM" },
  ],
} as const);

export type E820EntryFields = Record_<typeof E820Entry.fields>;

/** Address range types (ACPI 6.4 Table 15.1; Linux arch/x86/include/asm/e820/types.h). */
export const E820Type = {
  ram: 1,
  reserved: 2,
  acpi: 3,
  nvs: 4,
  unusable: 5,
  disabled: 6,
  pmem: 7,
  /** Non-standard legacy persistent memory (Linux CONFIG_X86_PMEM_LEGACY). */
  legacyPmem: 12,
} as const;

const TYPE_NAMES: Record<number, string> = {
  1: "usable", 2: "reserved", 3: "ACPI data", 4: "ACPI NVS", 5: "unusable",
  6: "disabled", 7: "persistent (type 7)", 12: "persistent (type 12)",
};

/** The name Linux prints for a type in its boot-time memory map. */
export function e820TypeName(type: number): string {
  return TYPE_NAMES[type] ?? `type ${type}`;
}

/** True for the types that describe persistent memory. */
export function isE820Pmem(type: number): boolean {
  return type === E820Type.pmem || type === E820Type.legacyPmem;
}

export type E820ReasonCode = "e820.length" | "e820.zero-size" | "e820.overflow" | "e820.overlap";

/** Entries back to back, 20 bytes each. */
export function encodeE820(entries: readonly E820EntryFields[]): Uint8Array {
  const out = new Uint8Array(E820Entry.size * entries.length);
  entries.forEach((e, i) => E820Entry.encode(e, out, i * E820Entry.size));
  return out;
}

/** Decodes every whole entry; never throws. Reasons as in checkE820Entries, plus e820.length. */
export function decodeE820(bytes: Uint8Array): { entries: E820EntryFields[]; reasons: Reason[] } {
  const reasons: Reason[] = [];
  const trailing = bytes.length % E820Entry.size;
  if (trailing !== 0) {
    reasons.push(reason("e820.length", `E820 map is ${bytes.length} bytes, not a multiple of ${E820Entry.size}; ${trailing} trailing bytes ignored`, { bytes: bytes.length, trailing }));
  }
  const entries: E820EntryFields[] = [];
  for (let at = 0; at + E820Entry.size <= bytes.length; at += E820Entry.size) entries.push(E820Entry.decode(bytes, at));
  return { entries, reasons: [...reasons, ...checkE820Entries(entries)] };
}

/**
 * Checks each entry (zero size, addr + size past 2^64), then overlaps between
 * entries, each overlapping entry reported once against the earlier-starting
 * entry that reaches furthest. Empty entries never overlap anything.
 */
export function checkE820Entries(entries: readonly E820EntryFields[]): Reason[] {
  const out: Reason[] = [];
  const ends: bigint[] = [];
  entries.forEach((e, index) => {
    const end = addU64(e.addr, e.sizeBytes);
    if (e.sizeBytes === 0n) out.push(reason("e820.zero-size", `E820 entry ${index} at ${hex(e.addr)} has size 0`, { index, addr: hex(e.addr) }));
    if (end === undefined) {
      out.push(reason("e820.overflow", `E820 entry ${index}: ${hex(e.addr)} + ${hex(e.sizeBytes)} passes 2^64`, { index, addr: hex(e.addr), sizeBytes: hex(e.sizeBytes) }));
    }
    // The last byte of an overflowing entry is taken as 2^64 − 1 for overlap checks.
    ends.push(end ?? U64_MAX + 1n);
  });
  const order = entries.map((_, i) => i).filter((i) => entries[i]!.sizeBytes > 0n);
  order.sort((a, b) => (entries[a]!.addr < entries[b]!.addr ? -1 : entries[a]!.addr > entries[b]!.addr ? 1 : a - b));
  let reach = -1n;
  let reacher = -1;
  for (const i of order) {
    const e = entries[i]!;
    if (e.addr < reach) {
      out.push(reason("e820.overlap", `E820 entry ${i} (${hex(e.addr)}, ${e820TypeName(e.type)}) overlaps entry ${reacher}, which runs to ${hex(reach)}`, { index: i, other: reacher, addr: hex(e.addr), otherEnd: hex(reach) }));
    }
    if (ends[i]! > reach) {
      reach = ends[i]!;
      reacher = i;
    }
  }
  return out;
}
