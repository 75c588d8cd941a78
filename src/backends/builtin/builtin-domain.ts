// A builtin-backend domain: vnvdimm's own device model in front of the
// hypervisor's mappings, and the probe guest behind it.
import { PAGE_BYTES, type Hypervisor, type MediaResolver } from "../../hypervisor/index.js";
import { GuestDeviceModel, ProbeGuest, type BadRange, type GuestLayout, type GuestPlatform, type NotifySink } from "../../devicemodel/index.js";
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

export interface BuiltinDomain {
  deviceModel: GuestDeviceModel;
  guest: ProbeGuest;
  platform: GuestPlatform;
  notifications: { device: string; value: number }[];
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
  const byslot = new Map(input.extents.map((e) => [e.slot, e]));
  const deviceModel = new GuestDeviceModel(input.layout, {
    labelStore: (slot) => { const e = byslot.get(slot); return e ? labelStore(input.media, e) : undefined; },
    badRanges: () => badRanges(input),
    notify: (ev) => { notifications.push(ev); input.notify?.(ev); },
  });
  const memory = hypervisorGuestMemory(input.hv, input.domid, input.media, {
    readOnly: (gpa) => deviceModel.layout.windows.some((w) => w.unarmed && gpa >= w.gpa && gpa < w.gpa + w.sizeBytes),
  });
  const tables = deviceModel.acpiTables();
  const platform: GuestPlatform = { acpi: tables, dsm: (page) => deviceModel.call(page), memory };
  return { deviceModel, guest: new ProbeGuest(platform), platform, notifications };
}

/** Broken host pages in this domain's windows, in guest-physical terms: what ARS reports to the guest. */
function badRanges(input: BuiltinDomainInput): BadRange[] {
  const out: BadRange[] = [];
  for (const mfn of input.brokenMfns()) {
    for (const e of input.extents) {
      const dataPages = e.nrPages - e.nrLabelPages;
      if (mfn < e.smfn || mfn >= e.smfn + dataPages) continue;
      const w = input.layout.windows.find((x) => x.slot === e.slot);
      if (w) out.push({ gpa: w.gpa + BigInt(mfn - e.smfn) * PAGE, lengthBytes: PAGE });
    }
  }
  return out;
}

