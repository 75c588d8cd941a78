// The builtin device model's guest-facing parts wired together for one domain:
// the memory map, the FIT, hotplug, ARS and the _DSM mailbox. Host concerns
// (which host pages back a window, where a label area lives, which pages are
// broken) arrive through the callbacks in GuestDeviceModelDeps.
import { slotToHandle, type LabelStore, type QemuNvdimmPersistence } from "../formats/index.js";
import { addGuestWindow, removeGuestWindow, type GuestLayout, type GuestWindow, type VnvdimmPlacement } from "./guest-layout.js";
import { buildGuestNfit, buildGuestSsdt } from "./guest-acpi.js";
import { GuestFit } from "./fit.js";
import { NvdimmHotplug, type NotifySink } from "./hotplug.js";
import { ArsEngine, type BadRange } from "./ars.js";
import { DsmMailbox } from "./mailbox.js";

export interface GuestDeviceModelDeps {
  /** The label area of the vNVDIMM in `slot`. */
  labelStore(slot: number): LabelStore | undefined;
  /** Known bad ranges, guest-physical. */
  badRanges(): readonly BadRange[];
  /** Receives Notify(\_SB.NVDR, …) events. */
  notify: NotifySink;
  readonly capabilities?: QemuNvdimmPersistence;
  /** See ArsOptions.scrubPolls. */
  readonly scrubPolls?: number;
}

export interface GuestAcpiTables {
  /** Absent without vNVDIMMs: QEMU builds no NFIT then. */
  readonly nfit?: Uint8Array;
  /** Absent without memory slots. */
  readonly ssdt?: Uint8Array;
}

export class GuestDeviceModel {
  #layout: GuestLayout;
  readonly fit: GuestFit;
  readonly ars: ArsEngine;
  readonly mailbox: DsmMailbox;
  readonly #hotplug: NvdimmHotplug;

  constructor(layout: GuestLayout, private readonly deps: GuestDeviceModelDeps) {
    this.#layout = layout;
    this.fit = new GuestFit(layout.windows, deps.capabilities);
    this.#hotplug = new NvdimmHotplug(this.fit, deps.notify);
    this.ars = new ArsEngine({
      ranges: () => this.#layout.windows.map((w) => ({ handle: w.handle, gpa: w.gpa, sizeBytes: w.sizeBytes })),
      badRanges: () => deps.badRanges(),
    }, { scrubPolls: deps.scrubPolls ?? 0 });
    this.mailbox = new DsmMailbox({
      fit: this.fit,
      dimm: (handle) => {
        const w = this.#layout.windows.find((x) => x.handle === handle);
        if (!w) return undefined;
        const labels = deps.labelStore(w.slot);
        return labels ? { labels } : {};
      },
      root: this.ars,
    });
  }

  get layout(): GuestLayout {
    return this.#layout;
  }

  /** The boot tables: the NFIT from the current FIT, and the SSDT for every slot. */
  acpiTables(): GuestAcpiTables {
    const l = this.#layout;
    return {
      ...(l.windows.length > 0 ? { nfit: buildGuestNfit(l.windows, this.deps.capabilities ? { capabilities: this.deps.capabilities } : {}) } : {}),
      ...(l.slots > 0 ? { ssdt: buildGuestSsdt({ slots: l.slots, mailboxGpa: l.mailboxGpa }) } : {}),
    };
  }

  /** Hotplug: places the window, updates the FIT, notifies. Throws DeviceModelError when it cannot. */
  plug(p: VnvdimmPlacement): GuestWindow {
    const next = addGuestWindow(this.#layout, p);
    const w = next.windows.find((x) => x.handle === slotToHandle(p.slot))!;
    // The layout first: the notification may make the guest call the new DIMM at once.
    this.#layout = next;
    this.#hotplug.plug(w);
    return w;
  }

  /** Hot-unplug: false when the slot was empty. */
  unplug(slot: number): boolean {
    if (!this.fit.dimm(slot)) return false;
    this.#layout = removeGuestWindow(this.#layout, slot);
    return this.#hotplug.unplug(slot);
  }

  /** Notify(\_SB.NVDR, 0x81) after a new bad range, so that the guest scrubs again. */
  reportUncorrectableError(): void {
    this.#hotplug.reportUncorrectableError();
  }

  /** One mailbox call: input page in, output bytes out. */
  call(page: Uint8Array): Uint8Array {
    return this.mailbox.call(page);
  }
}
