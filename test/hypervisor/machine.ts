// Test machines: firmware bytes (E820 + NFIT, as QEMU builds the NFIT) and
// memory media standing in for the DIMMs.
import { E820Type, QEMU_NFIT_HEADER, encodeE820, encodeNfit, qemuNfitStructures, type E820EntryFields } from "../../src/formats/index.js";
import { MemoryMedia, type Media } from "../../src/media/index.js";
import { bootHypervisor, mediaResolver, type BootOptions, type Hypervisor, type MediaResolver } from "../../src/hypervisor/index.js";

export const MiB = 1n << 20n;
export const GiB = 1n << 30n;

export interface TestDimm {
  addr: bigint;
  sizeBytes: bigint;
  node: number;
}

/** Two 64 MiB DIMMs on nodes 0 and 1: 16384 pages each, at mfn 0x100000 and 0x200000. */
export const TWO_DIMMS: TestDimm[] = [
  { addr: 0x1_0000_0000n, sizeBytes: 64n * MiB, node: 0 },
  { addr: 0x2_0000_0000n, sizeBytes: 64n * MiB, node: 1 },
];
export const DIMM0_MFN = 0x100000;
export const DIMM1_MFN = 0x200000;
export const DIMM_PAGES = 16384;

export function nfitFor(dimms: readonly TestDimm[]): Uint8Array {
  return encodeNfit({
    header: QEMU_NFIT_HEADER,
    structures: qemuNfitStructures(dimms.map((d, slot) => ({ slot, addr: d.addr, sizeBytes: d.sizeBytes, node: d.node }))),
  });
}

/** RAM below 2 GiB, the PCI hole reserved, and each DIMM as type 7 (as firmware may also list it). */
export function e820For(dimms: readonly TestDimm[], extra: E820EntryFields[] = []): Uint8Array {
  return encodeE820([
    { addr: 0n, sizeBytes: 0x9fc00n, type: E820Type.ram },
    { addr: 0x100000n, sizeBytes: 2n * GiB - 0x100000n, type: E820Type.ram },
    { addr: 0xfec0_0000n, sizeBytes: 0x40_0000n, type: E820Type.reserved },
    ...dimms.map((d) => ({ addr: d.addr, sizeBytes: d.sizeBytes, type: E820Type.pmem })),
    ...extra,
  ]);
}

export interface TestMachine {
  e820: Uint8Array;
  nfit: Uint8Array;
  media: Media[];
  resolver: MediaResolver;
}

export function testMachine(dimms: readonly TestDimm[] = TWO_DIMMS, wrap: (m: MemoryMedia, i: number) => Media = (m) => m): TestMachine {
  const media = dimms.map((d, i) => wrap(new MemoryMedia(d.sizeBytes, { pageBytes: 4096 }), i));
  return {
    e820: e820For(dimms),
    nfit: nfitFor(dimms),
    media,
    resolver: mediaResolver(dimms.map((d, i) => ({ spaBase: d.addr, media: media[i]! }))),
  };
}

export function boot(m: TestMachine, options: BootOptions): Hypervisor {
  return bootHypervisor({ e820: m.e820, nfit: m.nfit, options, media: m.resolver });
}

/** Unwraps an ok result, failing the test with the errno and message otherwise. */
export function must<T>(r: { ok: true; value: T } | { ok: false; errno: string; reason: string; message: string }): T {
  if (!r.ok) throw new Error(`expected success, got ${r.errno} ${r.reason}: ${r.message}`);
  return r.value;
}

/** The errno and reason of a failed result, for deepEqual. */
export function refusal(r: { ok: true } | { ok: false; errno: string; reason: string }): { errno: string; reason: string } | "ok" {
  return r.ok ? "ok" : { errno: r.errno, reason: r.reason };
}

/** Sets up a management region [base, base + mgmtPages) and a data region after it on DIMM 0. */
export function setupDimm0(hv: Hypervisor, mgmtPages = 64, dataPages = DIMM_PAGES - 64): { mgmt: [number, number]; data: [number, number] } {
  const mgmt: [number, number] = [DIMM0_MFN, DIMM0_MFN + mgmtPages];
  const data: [number, number] = [DIMM0_MFN + mgmtPages, DIMM0_MFN + mgmtPages + dataPages];
  must(hv.pmemSetup(0, { type: "mgmt", smfn: mgmt[0], emfn: mgmt[1] }));
  must(hv.pmemSetup(0, { type: "data", smfn: data[0], emfn: data[1], mgmtSmfn: mgmt[0], mgmtEmfn: mgmt[1] }));
  return { mgmt, data };
}
