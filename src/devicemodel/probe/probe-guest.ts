// The probe guest: a small "guest kernel" in TypeScript that does what
// Linux's nfit and libnvdimm drivers do, through guest-visible interfaces
// only — the NFIT bytes (or the _FIT after a hotplug), the _DSM mailbox, and
// guest-physical reads and writes. It is the builtin backend's guest; the
// qemu backend puts a real Linux in the same place.
import {
  DSM_LABEL_MAX_XFER, DSM_ROOT_HANDLE, DSM_STATUS, INFO_BLOCK_PROBE_BYTES, decodeNfit, detectInfoBlock, nfitInterleaveSetCookies, nfitStructuresOfKind,
  planLabelDelete, planProvision, rawBytesToText, rawTextToBytes, readLabelArea, MEMDEV_FLAG_NOT_ARMED,
  readLabelsInChunks, writeLabelsInChunks, type LabelDsmCall, type InfoBlockDetection, type LabelAreaReport, type LabelWrite, type ProvisionMode, type Reason,
} from "../../formats/index.js";
import { dsmCall, readFit, GuestDsmError } from "./dsm-client.js";
import { NamespaceIo, type GuestNamespace } from "./namespace-io.js";
import type { GuestPlatform } from "./platform.js";
import { decodeArsStatus, type ArsErrorRecord } from "../ars.js";
import { ARS_EXT, ARS_STATUS, ARS_TYPE_PERSISTENT, ArsStartIn, ROOT_FN } from "../ars-structs.js";

export interface GuestRegion {
  handle: number;
  /** The region's guest physical base (the SPA range). */
  gpa: bigint;
  sizeBytes: bigint;
  pxm: number;
  readOnly: boolean;
  /** DPA of the region's start on its DIMM. */
  mappingDpa: bigint;
  cookies: { v11: bigint; v12: bigint };
  typeGuid: Uint8Array;
}

export interface GuestView {
  regions: GuestRegion[];
  namespaces: GuestNamespace[];
  /** Label sets and slots the guest ignored, with Linux's reasons. */
  problems: { handle: number; reasons: Reason[] }[];
}

export class ProbeGuest {
  #nfit: Uint8Array | undefined;

  constructor(private readonly platform: GuestPlatform) {
    this.#nfit = platform.acpi.nfit;
  }

  /** After Notify(NVDR, 0x80) Linux re-reads the whole FIT through _FIT; so does the probe. */
  rescan(): void {
    const fit = readFit(this.platform);
    // _FIT returns the sub-structures; give them the NFIT's 40-byte header frame so one decoder serves both.
    const table = new Uint8Array(40 + fit.length);
    table.set([0x4e, 0x46, 0x49, 0x54]); // "NFIT"
    new DataView(table.buffer).setUint32(4, table.length, true);
    table.set(fit, 40);
    this.#nfit = table;
  }

  regions(): GuestRegion[] {
    if (!this.#nfit) return [];
    const { structures } = decodeNfit(this.#nfit);
    const spas = nfitStructuresOfKind(structures, "spa");
    const memdevs = nfitStructuresOfKind(structures, "memdev");
    const dcrs = nfitStructuresOfKind(structures, "control-region");
    return memdevs.flatMap((m) => {
      const spa = spas.find((s) => s.rangeIndex === m.rangeIndex);
      if (!spa) return [];
      return [{
        handle: m.deviceHandle, gpa: spa.addressRangeBase, sizeBytes: spa.addressRangeLength, pxm: spa.proximityDomain,
        readOnly: (m.flags & MEMDEV_FLAG_NOT_ARMED) !== 0, mappingDpa: m.addressRegionBase,
        cookies: nfitInterleaveSetCookies(spa, memdevs, dcrs), typeGuid: spa.regionTypeGuid,
      }];
    });
  }

  /** One DIMM's label functions; a failed call is a GuestDsmError. */
  private labelDsm(handle: number): LabelDsmCall {
    return (fn, arg3) => {
      const r = dsmCall(this.platform, handle, fn, arg3);
      if (r.status !== DSM_STATUS.SUCCESS) throw new GuestDsmError(fn, r.status);
      return r.payload;
    };
  }

  /** The label area through _DSM functions 4 and 5, in max-transfer chunks, as Linux's nvdimm_init_config_data. */
  readLabels(handle: number): Uint8Array {
    return readLabelsInChunks(this.labelDsm(handle));
  }

  writeLabels(handle: number, writes: readonly LabelWrite[]): void {
    writeLabelsInChunks(this.labelDsm(handle), DSM_LABEL_MAX_XFER, writes);
  }

  labelReport(region: GuestRegion): LabelAreaReport {
    return readLabelArea(this.readLabels(region.handle), {
      nmappings: 1, position: 0, mappingDpa: region.mappingDpa, mappingSizeBytes: region.sizeBytes, cookies: region.cookies, typeGuid: region.typeGuid,
    });
  }

  /** Every namespace Linux would create, with its mode from the info block it finds. */
  view(): GuestView {
    const regions = this.regions();
    const namespaces: GuestNamespace[] = [];
    const problems: GuestView["problems"] = [];
    for (const region of regions) {
      const report = this.labelReport(region);
      if (report.reasons.length && report.labelled) problems.push({ handle: region.handle, reasons: [...report.reasons] });
      const found = report.labelled
        ? report.namespaces.map((n) => ({ uuid: n.uuid as string | null, name: n.name, dpa: n.dpa, rawsize: n.rawsize }))
        : [{ uuid: null, name: "", dpa: region.mappingDpa, rawsize: region.sizeBytes }];
      for (const n of found) {
        const gpa = region.gpa + (n.dpa - region.mappingDpa);
        const head = n.rawsize >= BigInt(INFO_BLOCK_PROBE_BYTES) ? this.platform.memory.read(gpa, INFO_BLOCK_PROBE_BYTES) : new Uint8Array(0);
        // A label-less namespace's uuid is the null uuid (Linux nd_dev_to_uuid), so an info block naming a labelled
        // parent is not its own: one written ahead of its labels (a provisioning cut short) leaves it raw.
        const found = detectInfoBlock(head, { parentUuid: n.uuid ? rawTextToBytes(n.uuid) : new Uint8Array(16), namespaceSizeBytes: n.rawsize });
        // Linux's pmem driver claims a namespace only through a valid info block that names it as parent; a stale
        // or damaged one (left by an earlier namespace) leaves it raw. It is reported, never used for I/O.
        const ib: InfoBlockDetection = found.reasons.length === 0 ? found : { kind: "none", offset: undefined, mode: "raw", block: undefined, reasons: [] };
        if (found.reasons.length && found.kind !== "none") problems.push({ handle: region.handle, reasons: [...found.reasons] });
        namespaces.push({ ...n, handle: region.handle, gpa, readOnly: region.readOnly, mode: ib.mode, infoBlock: ib });
      }
    }
    return { regions, namespaces, problems };
  }

  /** A namespace by label uuid or name. */
  namespace(ref: string): GuestNamespace | undefined {
    const all = this.view().namespaces;
    return all.find((n) => n.uuid === ref.toLowerCase()) ?? all.find((n) => n.name !== "" && n.name === ref);
  }

  io(ns: GuestNamespace): NamespaceIo {
    return new NamespaceIo(this.platform.memory, ns);
  }

  /** Like `ndctl create-namespace`: labels through _DSM (two passes), then the info block through guest memory. */
  createNamespace(req: { handle: number; mode: ProvisionMode; name?: string; sizeBytes?: bigint; labels?: "1.1" | "1.2"; newUuid: () => Uint8Array }): GuestNamespace {
    const region = this.regions().find((r) => r.handle === req.handle);
    if (!region) throw new Error(`no region with handle ${req.handle}`);
    if (region.readOnly) throw new Error(`region ${req.handle} is read-only (unarmed)`);
    const area = this.readLabels(region.handle);
    const report = this.labelReport(region);
    // A label-less region is labelled first (as ndctl init-labels does), so all of it is free.
    const free = (report.labelled ? report.available ?? [] : [{ dpa: region.mappingDpa, sizeBytes: region.sizeBytes }]).map((e) => ({ dpa: alignUp(e.dpa, 16n << 20n), end: e.dpa + e.sizeBytes }))
      .map((e) => ({ dpa: e.dpa, sizeBytes: ((e.end - e.dpa) / (16n << 20n)) * (16n << 20n) })).filter((e) => e.sizeBytes > 0n);
    const want = req.sizeBytes ?? free.reduce((m, e) => (e.sizeBytes > m ? e.sizeBytes : m), 0n);
    const at = free.find((e) => e.sizeBytes >= want);
    if (!at || want === 0n) throw new Error(`region ${req.handle} has no free extent of ${want} bytes`);
    const labels = report.labelled ? (report.selection.layout?.labelSizeBytes === 128 ? "1.1" : "1.2") : (req.labels ?? "1.2");
    const plan = planProvision({
      labelAreaBytes: area.length, labels, slot: region.handle - 1, existingLabelArea: area, mappingSizeBytes: region.sizeBytes, spaBaseBytes: region.gpa,
      namespaces: [{ mode: req.mode, ...(req.name ? { name: req.name } : {}), dpa: at.dpa, sizeBytes: want }], newUuid: req.newUuid,
    });
    this.writeLabels(region.handle, plan.labelWrites);
    for (const z of plan.zeroFills) this.zero(region.gpa + (z.dpa - region.mappingDpa), z.sizeBytes);
    for (const w of plan.dataWrites) this.platform.memory.write(region.gpa + (w.dpa - region.mappingDpa), w.bytes);
    const uuid = rawBytesToText(plan.namespaces[0]!.uuid);
    const ns = this.view().namespaces.find((n) => n.uuid === uuid);
    if (!ns) throw new Error(`namespace ${uuid} was written but the guest does not see it`);
    return ns;
  }

  /** Like `ndctl destroy-namespace`: frees its labels with one index update. */
  destroyNamespace(ref: string): void {
    const ns = this.namespace(ref);
    if (!ns || !ns.uuid) throw new Error(`no labelled namespace ${ref}`);
    const area = this.readLabels(ns.handle);
    this.writeLabels(ns.handle, planLabelDelete(area, ns.uuid).writes);
  }

  /** Address Range Scrub over every region: start (root fn 2), then poll status (fn 3) until done. */
  ars(): ArsErrorRecord[] {
    const records: ArsErrorRecord[] = [];
    for (const r of this.regions()) {
      const start = ArsStartIn.encode({ address: r.gpa, length: r.sizeBytes, type: ARS_TYPE_PERSISTENT });
      const s = dsmCall(this.platform, DSM_ROOT_HANDLE, ROOT_FN.START_ARS, start);
      if ((s.status & 0xffff) !== ARS_STATUS.SUCCESS) continue;
      for (let polls = 0; polls < 100; polls++) {
        const q = dsmCall(this.platform, DSM_ROOT_HANDLE, ROOT_FN.QUERY_ARS_STATUS);
        if ((q.status & 0xffff) !== ARS_STATUS.SUCCESS) break;
        if (q.status >>> 16 === ARS_EXT.IN_PROGRESS) continue;
        const decoded = decodeArsStatus(q.payload);
        if (decoded) records.push(...decoded.records);
        break;
      }
    }
    return records;
  }

  private zero(gpa: bigint, sizeBytes: bigint): void {
    const chunk = 1 << 20;
    const zeros = new Uint8Array(chunk);
    for (let off = 0n; off < sizeBytes; off += BigInt(chunk)) {
      const n = Number(sizeBytes - off < BigInt(chunk) ? sizeBytes - off : BigInt(chunk));
      this.platform.memory.write(gpa + off, n === chunk ? zeros : zeros.subarray(0, n));
    }
  }
}

function alignUp(x: bigint, a: bigint): bigint {
  return ((x + a - 1n) / a) * a;
}
