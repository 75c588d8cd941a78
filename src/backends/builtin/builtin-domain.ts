// A builtin-backend domain: vnvdimm's own device model in front of the
// hypervisor's mappings, and the probe guest behind it.
import { PAGE_BYTES, type Hypervisor, type MediaResolver } from "../../hypervisor/index.js";
import { GuestDeviceModel, NVDR_NOTIFY, ProbeGuest, type ArsErrorRecord, type BadRange, type GuestLayout, type GuestPlatform, type GuestWindow, type NotifySink } from "../../devicemodel/index.js";
import type { LabelStore } from "../../formats/index.js";
import { hypervisorGuestMemory } from "./guest-memory.js";

const PAGE = BigInt(PAGE_BYTES);

/** What the backend needs to know of each vNVDIMM: where its host extent is. */
export interface BackendExtent {
  slot: number;
  smfn: number;
  nrPages: number;
  nrLabelPages: number;
  unarmed: boolean;
}

export interface BuiltinDomainInput {
  hv: Hypervisor;
  domid: number;
  media: MediaResolver;
  layout: GuestLayout;
  extents: readonly BackendExtent[];
  /** Broken host pages (the host's bad-block list). */
  brokenMfns: () => readonly number[];
  notify?: NotifySink;
}

/** What the running guest's driver did about a notification, newest last. */
export interface GuestEvent {
  at: string;
  kind: "fit-changed" | "uncorrectable-error";
  /** For an uncorrectable error: the ranges the guest's ARS found, guest-physical. */
  records?: ArsErrorRecord[];
}

export interface BuiltinDomain {
  deviceModel: GuestDeviceModel;
  guest: ProbeGuest;
  platform: GuestPlatform;
  notifications: { device: string; value: number }[];
  /** The running guest's driver reacting to Notify(NVDR): a FIT re-read, or an ARS. */
  events: GuestEvent[];
  /** The bad ranges the guest's last ARS found (Linux's badblocks). */
  knownBad(): ArsErrorRecord[];
  /** Hotplug of a populated extent: window, FIT, Notify 0x80; the guest re-reads the FIT. */
  plug(e: BackendExtent & { node: number }): GuestWindow;
  /** Hot-unplug: the FIT loses the slot, Notify 0x80, the guest re-reads it. False when the slot was empty. */
  unplug(slot: number): boolean;
}

/** The label area of an extent: its last nrLabelPages, reached on the host media, never through the guest's P2M. */
function labelStore(media: MediaResolver, e: BackendExtent): LabelStore | undefined {
  if (e.nrLabelPages === 0) return undefined;
  const spa = BigInt(e.smfn + e.nrPages - e.nrLabelPages) * PAGE;
  const size = BigInt(e.nrLabelPages) * PAGE;
  const w = media(spa, size);
  if (!w) return undefined;
  return {
    sizeBytes: Number(size),
    read: (offset, length) => w.media.read(w.offset + BigInt(offset), length),
    write: (offset, bytes) => w.media.write(w.offset + BigInt(offset), bytes),
  };
}

export function startBuiltinDomain(input: BuiltinDomainInput): BuiltinDomain {
  const notifications: { device: string; value: number }[] = [];
  const events: GuestEvent[] = [];
  let knownBad: ArsErrorRecord[] = [];
  const byslot = new Map(input.extents.map((e) => [e.slot, e]));
  // Set once the platform exists; the driver runs only for notifications after that.
  const booted: { guest?: ProbeGuest } = {};
  // The guest's driver, as Linux's acpi_nfit_notify: 0x80 re-reads the FIT, 0x81 scrubs again.
  const driver = (value: number) => {
    const guest = booted.guest;
    if (!guest) return;
    if (value === NVDR_NOTIFY.FIT_CHANGED) {
      guest.rescan();
      events.push({ at: new Date().toISOString(), kind: "fit-changed" });
    } else if (value === NVDR_NOTIFY.UNCORRECTABLE_ERROR) {
      knownBad = guest.ars();
      events.push({ at: new Date().toISOString(), kind: "uncorrectable-error", records: knownBad });
    }
  };
  const deviceModel: GuestDeviceModel = new GuestDeviceModel(input.layout, {
    labelStore: (slot) => { const e = byslot.get(slot); return e ? labelStore(input.media, e) : undefined; },
    badRanges: (): BadRange[] => badRanges(input, [...byslot.values()], deviceModel.layout),
    notify: (ev) => { notifications.push(ev); input.notify?.(ev); driver(ev.value); },
  });
  const memory = hypervisorGuestMemory(input.hv, input.domid, input.media, {
    readOnly: (gpa) => deviceModel.layout.windows.some((w) => w.unarmed && gpa >= w.gpa && gpa < w.gpa + w.sizeBytes),
  });
  const tables = deviceModel.acpiTables();
  const platform: GuestPlatform = { acpi: tables, dsm: (page) => deviceModel.call(page), memory };
  const guest = booted.guest = new ProbeGuest(platform);
  return {
    deviceModel, guest, platform, notifications, events,
    knownBad: () => knownBad,
    plug: (e) => {
      byslot.set(e.slot, e);
      try {
        return deviceModel.plug({ slot: e.slot, extentBytes: BigInt(e.nrPages) * PAGE, labelBytes: BigInt(e.nrLabelPages) * PAGE, node: e.node, unarmed: e.unarmed });
      } catch (err) {
        byslot.delete(e.slot);
        throw err;
      }
    },
    unplug: (slot) => {
      const done = deviceModel.unplug(slot);
      byslot.delete(slot);
      return done;
    },
  };
}

/** Broken host pages in this domain's windows, in guest-physical terms: what ARS reports to the guest. */
function badRanges(input: BuiltinDomainInput, extents: readonly BackendExtent[], layout: GuestLayout): BadRange[] {
  const out: BadRange[] = [];
  for (const mfn of input.brokenMfns()) {
    for (const e of extents) {
      const dataPages = e.nrPages - e.nrLabelPages;
      if (mfn < e.smfn || mfn >= e.smfn + dataPages) continue;
      const w = layout.windows.find((x) => x.slot === e.slot);
      if (w) out.push({ gpa: w.gpa + BigInt(mfn - e.smfn) * PAGE, lengthBytes: PAGE });
    }
  }
  return out;
}

