// The interleave-set cookie that labels must carry (FORMATS.md §5; Linux
// drivers/acpi/nfit/core.c acpi_nfit_init_interleave_set). One record per
// DIMM in the set, sorted by region offset, then Fletcher64 over the records.
import { fletcher64 } from "../fletcher64.js";

export interface CookieMapping {
  readonly regionOffset: bigint;
  readonly serial: number;
  readonly vendorId: number;
  readonly manufacturingDate: number;
  readonly manufacturingLocation: number;
}

const V11_RECORD = 16;
const V12_RECORD = 48;

/** cookie1 (v1.1 labels) and cookie2 (v1.2 labels) for one interleave set. */
export function interleaveSetCookies(mappings: readonly CookieMapping[]): { v11: bigint; v12: bigint } {
  const sorted = [...mappings].sort((a, b) => (a.regionOffset < b.regionOffset ? -1 : a.regionOffset > b.regionOffset ? 1 : 0));
  const v11 = new Uint8Array(V11_RECORD * sorted.length);
  const v12 = new Uint8Array(V12_RECORD * sorted.length);
  const d11 = new DataView(v11.buffer);
  const d12 = new DataView(v12.buffer);
  sorted.forEach((m, i) => {
    d11.setBigUint64(i * V11_RECORD, m.regionOffset, true);
    d11.setUint32(i * V11_RECORD + 8, m.serial >>> 0, true);
    const o = i * V12_RECORD;
    d12.setBigUint64(o, m.regionOffset, true);
    d12.setUint32(o + 8, m.serial >>> 0, true);
    d12.setUint16(o + 12, m.vendorId, true);
    d12.setUint16(o + 14, m.manufacturingDate, true);
    d12.setUint8(o + 16, m.manufacturingLocation);
  });
  return { v11: fletcher64(v11), v12: fletcher64(v12) };
}

/** QEMU's serial for a slot (hw/acpi/nvdimm.c): 0x123456 + slot. */
export function qemuSerial(slot: number): number {
  return 0x123456 + slot;
}

/** The cookies of a QEMU NVDIMM in `slot`: one DIMM, region offset 0, vendor 0x8086. */
export function qemuDimmCookies(slot: number): { v11: bigint; v12: bigint } {
  return interleaveSetCookies([{ regionOffset: 0n, serial: qemuSerial(slot), vendorId: 0x8086, manufacturingDate: 0, manufacturingLocation: 0 }]);
}
