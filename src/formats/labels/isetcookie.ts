// The cookies a QEMU NVDIMM's labels must carry. The cookie algorithm itself
// lives with the NFIT (nfit/interleave-set-cookie.ts), whose records it hashes.
import { interleaveSetCookies, type InterleaveSetCookies } from "../nfit/interleave-set-cookie.js";
import { slotToSerialNumber } from "../nfit/qemu.js";

/** The cookies of a QEMU NVDIMM in `slot`: one DIMM, region offset 0, vendor 0x8086. */
export function qemuDimmCookies(slot: number): InterleaveSetCookies {
  return interleaveSetCookies([{ regionOffset: 0n, serialNumber: slotToSerialNumber(slot), vendorId: 0x8086, manufacturingDate: 0, manufacturingLocation: 0 }]);
}
