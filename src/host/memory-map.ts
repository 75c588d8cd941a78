// Where platform firmware puts things in the host physical address space:
// low RAM, the legacy holes, RAM below the 3 GiB PCI hole, RAM above 4 GiB,
// node by node, then each NVDIMM on its own 1 GiB boundary (so every region
// can hold fsdax and devdax namespaces and 1 GiB mappings).
import type { MachineSpec } from "./spec.js";
import { E820Type } from "../formats/index.js";

const KiB = 1024n, MiB = 1024n * KiB, GiB = 1024n * MiB;
export const PAGE_BYTES = 4096n;

export interface HostDimm {
  readonly index: number;
  readonly node: number;
  /** Socket number in the _ADR layout; the socket that owns the node. */
  readonly socket: number;
  readonly spa: bigint;
  readonly sizeBytes: bigint;
  readonly labelSizeBytes: bigint;
  readonly serial: number;
  /** NFIT device handle (_ADR): node in bits 16–27, socket in 12–15, channel in 4–7, DIMM in 0–3; never 0. */
  readonly handle: number;
}

export interface MemoryMapEntry { addr: bigint; sizeBytes: bigint; type: number; node?: number }

export interface HostMemoryMap {
  readonly e820: MemoryMapEntry[];
  readonly dimms: HostDimm[];
}

/**
 * ACPI 6.4 §5.2.25.3 device handle layout. Each DIMM gets its own channel and
 * is DIMM 1 on it, so no handle is 0: the _DSM mailbox reserves handle 0 for
 * the root device.
 */
export function dimmHandle(node: number, socket: number, channel: number): number {
  return ((node & 0xfff) << 16) | ((socket & 0xf) << 12) | ((channel & 0xf) << 4) | 1;
}

/** Distinct serials: a vnvdimm prefix plus the DIMM index, unless the spec sets one. */
export function defaultSerial(index: number): number {
  return 0x7e570000 + index;
}

export function planMemoryMap(spec: MachineSpec): HostMemoryMap {
  const e820: MemoryMapEntry[] = [];
  const first = spec.sockets[0]!;
  e820.push({ addr: 0n, sizeBytes: 0x9fc00n, type: E820Type.ram, node: first.node });
  e820.push({ addr: 0x9fc00n, sizeBytes: 0x400n, type: E820Type.reserved });
  e820.push({ addr: 0xf0000n, sizeBytes: 0x10000n, type: E820Type.reserved });
  const below4g = 3n * GiB - MiB;
  let high = 4n * GiB;
  spec.sockets.forEach((s, i) => {
    let ram = s.ram;
    if (i === 0) {
      const low = ram - 1n * MiB < below4g ? ram - 1n * MiB : below4g;
      e820.push({ addr: MiB, sizeBytes: low, type: E820Type.ram, node: s.node });
      ram -= low + 1n * MiB;
      e820.push({ addr: 3n * GiB, sizeBytes: 1n * GiB, type: E820Type.reserved });
    }
    if (ram > 0n) {
      e820.push({ addr: high, sizeBytes: ram, type: E820Type.ram, node: s.node });
      high += ram;
    }
  });
  let at = ((high + GiB - 1n) / GiB) * GiB;
  const perSocket = new Map<number, number>();
  const dimms: HostDimm[] = spec.nvdimms.map((d, index) => {
    const socket = spec.sockets.findIndex((s) => s.node === d.node);
    const nth = perSocket.get(socket) ?? 0;
    perSocket.set(socket, nth + 1);
    const dimm: HostDimm = {
      index, node: d.node, socket, spa: at, sizeBytes: d.size, labelSizeBytes: d.labelSize,
      serial: d.serial ?? defaultSerial(index), handle: dimmHandle(d.node, socket, nth),
    };
    if (spec.e820Pmem) e820.push({ addr: at, sizeBytes: d.size, type: E820Type.pmem, node: d.node });
    at = (((at + d.size) + GiB - 1n) / GiB) * GiB;
    return dimm;
  });
  return { e820, dimms };
}
