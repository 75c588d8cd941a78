// The guest physical memory map: RAM, the _DSM mailbox page, and one window per
// vNVDIMM in the device-memory area. The addresses are the ones the qemu
// backend passes as `-device nvdimm,addr=`, so the rules are QEMU's x86 pc
// rules (hw/i386/pc.c, pc_piix.c), simplified:
// - RAM of 3.5 GiB or more is split: 3 GiB below 4 GiB, the rest from 4 GiB
//   (i440fx with gigabyte_align); smaller RAM sits wholly below 4 GiB. The PCI
//   hole, SMRAM and the 1 TiB AMD hole are not modelled.
// - Device memory starts at ALIGN(4 GiB + RAM above 4 GiB, 1 GiB)
//   (pc_get_device_memory_range).
// - Unlike QEMU's back-to-back packing, every window is aligned to 16 MiB, or
//   1 GiB when it is at least 1 GiB, so that each can hold fsdax/devdax
//   (FORMATS.md §2, "Placement").
import { DSM_PAGE_BYTES, GiB, KiB, MiB, NVDIMM_MAX_SLOTS, alignUpBig, hex, slotToHandle } from "../formats/index.js";
import { DeviceModelError } from "./errors.js";

export const GUEST_PAGE_BYTES = 4096n;
export const FOUR_GIB = 4n * BigInt(GiB);
/** QEMU i440fx: RAM at or above this is split at LOW_RAM_SPLIT_BYTES. */
export const LOW_RAM_SPLIT_THRESHOLD_BYTES = 0xe000_0000n;
export const LOW_RAM_SPLIT_BYTES = 0xc000_0000n;
export const MIN_GUEST_RAM_BYTES = 16n * BigInt(MiB);
export const MIN_WINDOW_ALIGN_BYTES = 16n * BigInt(MiB);
export const LARGE_WINDOW_ALIGN_BYTES = BigInt(GiB);
/** QEMU's MIN_NAMESPACE_LABEL_SIZE (hw/mem/nvdimm.c). */
export const MIN_LABEL_BYTES = 128n * BigInt(KiB);
/** The _DSM label size is a u32 (FORMATS.md §3, function 4). */
export const MAX_LABEL_BYTES = 0xffff_ffffn;

/** One vNVDIMM as the toolstack resolved it. */
export interface VnvdimmPlacement {
  readonly slot: number;
  /** The host extent: the window followed by the label area. */
  readonly extentBytes: bigint;
  /** The label area: the last `labelBytes` of the extent, owned but not mapped. */
  readonly labelBytes: bigint;
  readonly node: number;
  readonly unarmed: boolean;
}

export interface GuestWindow extends VnvdimmPlacement {
  /** NFIT device handle (slot + 1). */
  readonly handle: number;
  /** Guest physical base: `-device nvdimm,addr=`. */
  readonly gpa: bigint;
  /** extentBytes − labelBytes: the SPA range length. */
  readonly sizeBytes: bigint;
  readonly alignBytes: bigint;
}

export interface GuestMemoryRange {
  readonly gpa: bigint;
  readonly sizeBytes: bigint;
}

export interface GuestLayoutInput {
  readonly ramBytes: bigint;
  readonly vnvdimms: readonly VnvdimmPlacement[];
  /** Memory slots (QEMU `-m slots=`); default: highest slot + 1, or 0 without vNVDIMMs. */
  readonly slots?: number;
  /** Device memory kept free for hotplug, added to maxmem. */
  readonly hotplugReserveBytes?: bigint;
}

export interface GuestLayout {
  readonly ramBytes: bigint;
  readonly lowRamBytes: bigint;
  readonly highRamBytes: bigint;
  readonly ram: readonly GuestMemoryRange[];
  /** The _DSM page (MEMA): the last page of low RAM, which firmware reserves, as SeaBIOS does for QEMU. */
  readonly mailboxGpa: bigint;
  readonly deviceMemoryBase: bigint;
  /** In slot order. */
  readonly windows: readonly GuestWindow[];
  /** QEMU `-m slots=`. */
  readonly slots: number;
  /** QEMU `-m maxmem=`: RAM plus the device-memory span (with alignment gaps) plus the hotplug reserve. */
  readonly maxmemBytes: bigint;
}

/** 1 GiB for windows of 1 GiB or more, else 16 MiB. */
export function windowAlignment(sizeBytes: bigint): bigint {
  return sizeBytes >= LARGE_WINDOW_ALIGN_BYTES ? LARGE_WINDOW_ALIGN_BYTES : MIN_WINDOW_ALIGN_BYTES;
}

function fail(code: "layout.ram" | "layout.slot" | "layout.size" | "layout.node" | "layout.no-room" | "layout.maxmem", message: string, data: Record<string, unknown>): never {
  throw new DeviceModelError(code, message, data);
}

function checkPlacement(p: VnvdimmPlacement, slots: number): void {
  if (!Number.isInteger(p.slot) || p.slot < 0 || p.slot >= slots) {
    fail("layout.slot", `vNVDIMM slot ${p.slot} is outside 0..${slots - 1}; raise slots (at most ${NVDIMM_MAX_SLOTS})`, { slot: p.slot, slots });
  }
  if (!Number.isInteger(p.node) || p.node < 0 || p.node > 0xffff_ffff) {
    fail("layout.node", `vNVDIMM slot ${p.slot}: node ${p.node} is not a 32-bit proximity domain`, { slot: p.slot, node: p.node });
  }
  if (p.labelBytes < MIN_LABEL_BYTES || p.labelBytes > MAX_LABEL_BYTES || p.labelBytes % GUEST_PAGE_BYTES !== 0n) {
    fail("layout.size", `vNVDIMM slot ${p.slot}: label area ${hex(p.labelBytes)} must be whole pages, at least 128 KiB and under 4 GiB`, { slot: p.slot, labelBytes: p.labelBytes.toString() });
  }
  if (p.extentBytes <= p.labelBytes || p.extentBytes % GUEST_PAGE_BYTES !== 0n) {
    fail("layout.size", `vNVDIMM slot ${p.slot}: extent ${hex(p.extentBytes)} must be whole pages and larger than its label area ${hex(p.labelBytes)}`, { slot: p.slot, extentBytes: p.extentBytes.toString() });
  }
}

/** First fit: the lowest aligned address from `base` that overlaps no window. */
function firstFit(windows: readonly GuestWindow[], base: bigint, sizeBytes: bigint, align: bigint): bigint {
  let at = alignUpBig(base, align);
  for (const w of [...windows].sort((a, b) => (a.gpa < b.gpa ? -1 : a.gpa > b.gpa ? 1 : 0))) {
    if (at + sizeBytes <= w.gpa) break;
    if (w.gpa + w.sizeBytes > at) at = alignUpBig(w.gpa + w.sizeBytes, align);
  }
  return at;
}

function place(windows: readonly GuestWindow[], base: bigint, p: VnvdimmPlacement): GuestWindow {
  const sizeBytes = p.extentBytes - p.labelBytes;
  const alignBytes = windowAlignment(sizeBytes);
  const gpa = firstFit(windows, base, sizeBytes, alignBytes);
  return {
    slot: p.slot, extentBytes: p.extentBytes, labelBytes: p.labelBytes, node: p.node, unarmed: p.unarmed,
    handle: slotToHandle(p.slot), gpa, sizeBytes, alignBytes,
  };
}

function bySlot(a: { slot: number }, b: { slot: number }): number {
  return a.slot - b.slot;
}

function deviceSpanBytes(base: bigint, windows: readonly GuestWindow[]): bigint {
  return windows.reduce((end, w) => (w.gpa + w.sizeBytes > end ? w.gpa + w.sizeBytes : end), base) - base;
}

/** Lays out RAM and the vNVDIMM windows; throws DeviceModelError for a layout QEMU would refuse. */
export function planGuestLayout(input: GuestLayoutInput): GuestLayout {
  const { ramBytes } = input;
  if (ramBytes < MIN_GUEST_RAM_BYTES || ramBytes % BigInt(MiB) !== 0n) {
    fail("layout.ram", `guest RAM ${hex(ramBytes)} must be whole MiB and at least 16 MiB`, { ramBytes: ramBytes.toString() });
  }
  const maxSlot = input.vnvdimms.reduce((m, p) => Math.max(m, p.slot), -1);
  const slots = input.slots ?? maxSlot + 1;
  if (!Number.isInteger(slots) || slots < 0 || slots > NVDIMM_MAX_SLOTS) {
    fail("layout.slot", `slots ${slots} must be 0..${NVDIMM_MAX_SLOTS}`, { slots });
  }
  const reserve = input.hotplugReserveBytes ?? 0n;
  if (reserve < 0n || reserve % GUEST_PAGE_BYTES !== 0n) {
    fail("layout.size", `hotplug reserve ${hex(reserve)} must be whole pages`, { hotplugReserveBytes: reserve.toString() });
  }
  const lowRamBytes = ramBytes >= LOW_RAM_SPLIT_THRESHOLD_BYTES ? LOW_RAM_SPLIT_BYTES : ramBytes;
  const highRamBytes = ramBytes - lowRamBytes;
  const ram: GuestMemoryRange[] = [{ gpa: 0n, sizeBytes: lowRamBytes }];
  if (highRamBytes > 0n) ram.push({ gpa: FOUR_GIB, sizeBytes: highRamBytes });
  const deviceMemoryBase = alignUpBig(FOUR_GIB + highRamBytes, LARGE_WINDOW_ALIGN_BYTES);

  const windows: GuestWindow[] = [];
  const seen = new Set<number>();
  for (const p of [...input.vnvdimms].sort(bySlot)) {
    checkPlacement(p, slots);
    if (seen.has(p.slot)) fail("layout.slot", `two vNVDIMMs ask for slot ${p.slot}`, { slot: p.slot });
    seen.add(p.slot);
    windows.push(place(windows, deviceMemoryBase, p));
  }
  const maxmemBytes = ramBytes + deviceSpanBytes(deviceMemoryBase, windows) + reserve;
  // QEMU refuses memory slots when maxmem equals the RAM size (hw/core/machine.c).
  if (slots > 0 && maxmemBytes === ramBytes) {
    fail("layout.maxmem", `slots=${slots} with no vNVDIMM needs a hotplug reserve, or QEMU's maxmem would equal its RAM`, { slots });
  }
  return {
    ramBytes, lowRamBytes, highRamBytes, ram, mailboxGpa: lowRamBytes - BigInt(DSM_PAGE_BYTES),
    deviceMemoryBase, windows, slots, maxmemBytes,
  };
}

/**
 * Hotplug: places one more window at the first aligned gap without moving
 * the others, inside the device memory that maxmem already covers (QEMU
 * cannot grow maxmem after boot).
 */
export function addGuestWindow(layout: GuestLayout, p: VnvdimmPlacement): GuestLayout {
  checkPlacement(p, layout.slots);
  if (layout.windows.some((w) => w.slot === p.slot)) fail("layout.slot", `slot ${p.slot} already holds a vNVDIMM`, { slot: p.slot });
  const w = place(layout.windows, layout.deviceMemoryBase, p);
  const limit = layout.deviceMemoryBase + (layout.maxmemBytes - layout.ramBytes);
  if (w.gpa + w.sizeBytes > limit) {
    fail("layout.no-room", `no room for a ${hex(w.sizeBytes)}-byte window in slot ${p.slot}: device memory ends at ${hex(limit)}; give the domain a larger hotplug reserve`, { slot: p.slot, limit: limit.toString() });
  }
  return { ...layout, windows: [...layout.windows, w].sort(bySlot) };
}

/** Hot-unplug: frees the slot's window; the others stay where they are. */
export function removeGuestWindow(layout: GuestLayout, slot: number): GuestLayout {
  return { ...layout, windows: layout.windows.filter((w) => w.slot !== slot) };
}
