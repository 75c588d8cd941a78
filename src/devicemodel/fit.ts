// The device model's FIT: the NFIT sub-structures of the plugged DIMMs, which
// the guest reads through _FIT (root handle 0x10000, function 1, "Read FIT").
// Semantics are QEMU's (hw/acpi/nvdimm.c nvdimm_build_fit_buffer,
// nvdimm_dsm_func_read_fit): every plug rebuilds the buffer and marks it dirty;
// a read at offset 0 clears dirty; a later chunk read while dirty answers
// "FIT changed" (0x100) so that _FIT restarts from 0.
import { DSM_MAX_OUTPUT_BYTES, DSM_STATUS, status, type DsmResponse, type QemuNvdimmPersistence } from "../formats/index.js";
import { encodeGuestFit, type GuestNvdimm } from "./guest-acpi.js";
import { DeviceModelError } from "./errors.js";

/** The most FIT bytes one Read FIT answer carries: the page minus len and status (4088). */
export const READ_FIT_MAX_CHUNK_BYTES = DSM_MAX_OUTPUT_BYTES - 4;

export class GuestFit {
  readonly #dimms = new Map<number, GuestNvdimm>();
  readonly #capabilities: QemuNvdimmPersistence | undefined;
  #bytes: Uint8Array = new Uint8Array(0);
  #dirty = false;

  /** Cold-plugged DIMMs are plugged in order, which leaves the FIT dirty, as in QEMU. */
  constructor(dimms: readonly GuestNvdimm[] = [], capabilities?: QemuNvdimmPersistence) {
    this.#capabilities = capabilities;
    for (const d of dimms) this.plug(d);
  }

  /** Adds a DIMM; throws DeviceModelError when its slot is taken. */
  plug(d: GuestNvdimm): void {
    if (this.#dimms.has(d.slot)) throw new DeviceModelError("fit.slot-in-use", `slot ${d.slot} already holds a vNVDIMM`, { slot: d.slot });
    this.#dimms.set(d.slot, d);
    this.#rebuild();
  }

  /** Removes a DIMM's structures; false when the slot was empty. QEMU cannot do this. */
  unplug(slot: number): boolean {
    if (!this.#dimms.delete(slot)) return false;
    this.#rebuild();
    return true;
  }

  #rebuild(): void {
    this.#bytes = encodeGuestFit([...this.#dimms.values()], this.#capabilities);
    this.#dirty = true;
  }

  get dirty(): boolean {
    return this.#dirty;
  }

  /** A copy of the current FIT. */
  bytes(): Uint8Array {
    return this.#bytes.slice();
  }

  /** The plugged DIMMs, in slot order. */
  dimms(): GuestNvdimm[] {
    return [...this.#dimms.values()].sort((a, b) => a.slot - b.slot);
  }

  dimm(slot: number): GuestNvdimm | undefined {
    return this.#dimms.get(slot);
  }

  /** Read FIT at `offset`: `{status, fit[min(len − offset, 4088)]}`; offset > len gives status 3. */
  readFit(offset: number): DsmResponse {
    const fit = this.#bytes;
    if (offset > fit.length) return status(DSM_STATUS.INVALID_INPUT);
    if (offset === 0) this.#dirty = false;
    else if (this.#dirty) return status(DSM_STATUS.FIT_CHANGED);
    const n = Math.min(fit.length - offset, READ_FIT_MAX_CHUNK_BYTES);
    return { status: DSM_STATUS.SUCCESS, payload: fit.slice(offset, offset + n) };
  }
}
