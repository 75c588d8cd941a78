// vNVDIMM hotplug and hot-unplug: the FIT changes and the guest is told with
// Notify(\_SB.NVDR, 0x80), which QEMU raises through GPE _E04
// (hw/acpi/nvdimm.c nvdimm_acpi_plug_cb; ACPI 6.4 §5.6.6, NVDIMM root device
// notification values). Linux then re-evaluates _FIT (drivers/acpi/nfit/core.c
// acpi_nfit_update_notify). QEMU cannot unplug an NVDIMM; here unplug removes
// the DIMM's structures and notifies the same way.
import type { GuestNvdimm } from "./guest-acpi.js";

export const NVDR_PATH = "\\_SB.NVDR";

/** Notification values for the NVDIMM root device (ACPI 6.4 §5.6.6). */
export const NVDR_NOTIFY = {
  /** The FIT changed: re-read _FIT. */
  FIT_CHANGED: 0x80,
  /** Unconsumed uncorrectable memory error detected: OSPM may re-run ARS. */
  UNCORRECTABLE_ERROR: 0x81,
} as const;

export interface AcpiNotification {
  readonly device: string;
  readonly value: number;
}

export type NotifySink = (n: AcpiNotification) => void;

/** The FIT as hotplug needs it; GuestFit is one. */
export interface HotplugFit {
  plug(d: GuestNvdimm): void;
  unplug(slot: number): boolean;
}

export class NvdimmHotplug {
  constructor(private readonly fit: HotplugFit, private readonly notify: NotifySink) {}

  /** Adds the DIMM to the FIT, then notifies; throws DeviceModelError when the slot is taken. */
  plug(d: GuestNvdimm): void {
    this.fit.plug(d);
    this.notify({ device: NVDR_PATH, value: NVDR_NOTIFY.FIT_CHANGED });
  }

  /** Removes the DIMM from the FIT and notifies; false (and no event) when the slot was empty. */
  unplug(slot: number): boolean {
    if (!this.fit.unplug(slot)) return false;
    this.notify({ device: NVDR_PATH, value: NVDR_NOTIFY.FIT_CHANGED });
    return true;
  }

  /** Tells the guest a new bad range appeared, so that it re-runs ARS. */
  reportUncorrectableError(): void {
    this.notify({ device: NVDR_PATH, value: NVDR_NOTIFY.UNCORRECTABLE_ERROR });
  }
}
