// The guest's NFIT and NVDIMM SSDT, as QEMU builds them (hw/acpi/nvdimm.c:
// nvdimm_build_fit_buffer, nvdimm_build_nfit, nvdimm_build_ssdt). The DIMMs go
// in slot order; QEMU uses QOM child order, which for -device in slot order is
// the same.
import {
  QEMU_NFIT_HEADER, buildNvdimmSsdt, encodeNfit, encodeNfitStructure, qemuNfitStructures,
  type NfitHeaderInit, type NfitStructure, type QemuNvdimmPersistence,
} from "../formats/index.js";

/** What the guest ACPI needs of a vNVDIMM; a GuestWindow is one. */
export interface GuestNvdimm {
  readonly slot: number;
  readonly gpa: bigint;
  readonly sizeBytes: bigint;
  /** The SPA range's proximity domain. */
  readonly node: number;
  /** Sets memdev flag NOT_ARMED (bit 3); Linux then makes the region read-only. */
  readonly unarmed: boolean;
}

export interface GuestNfitOptions {
  /** `-machine nvdimm-persistence=`: adds the platform-capabilities structure. */
  readonly capabilities?: QemuNvdimmPersistence;
  /** Defaults to QEMU's ("BOCHS ", "BXPC    "). */
  readonly header?: NfitHeaderInit;
}

export interface GuestSsdtOptions {
  /** Memory slots; one NVxx device each. */
  readonly slots: number;
  /** The _DSM page (MEMA), below 4 GiB. */
  readonly mailboxGpa: bigint;
}

/** The NFIT sub-structures for these DIMMs, in slot order. */
export function guestNfitStructures(dimms: readonly GuestNvdimm[], capabilities?: QemuNvdimmPersistence): NfitStructure[] {
  const sorted = [...dimms].sort((a, b) => a.slot - b.slot);
  return qemuNfitStructures(sorted.map((d) => ({ slot: d.slot, addr: d.gpa, sizeBytes: d.sizeBytes, node: d.node, unarmed: d.unarmed })), capabilities);
}

/** The FIT: the NFIT's sub-structures without its header, as _FIT returns them. */
export function encodeGuestFit(dimms: readonly GuestNvdimm[], capabilities?: QemuNvdimmPersistence): Uint8Array {
  const parts = guestNfitStructures(dimms, capabilities).map(encodeNfitStructure);
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

export function buildGuestNfit(dimms: readonly GuestNvdimm[], opts: GuestNfitOptions = {}): Uint8Array {
  return encodeNfit({ header: opts.header ?? QEMU_NFIT_HEADER, structures: guestNfitStructures(dimms, opts.capabilities) });
}

export function buildGuestSsdt(opts: GuestSsdtOptions): Uint8Array {
  return buildNvdimmSsdt({ slots: opts.slots, memaAddress: Number(opts.mailboxGpa) });
}
