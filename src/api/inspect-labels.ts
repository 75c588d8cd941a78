// `inspect labels`: everything Linux and ndctl would make of one DIMM's label
// area, plus what vnvdimm adds: the reasons behind every rejection, and the
// info block at the start of each namespace when the data area is present.
import {
  GUIDS, IndexBlockHeader, INFO_BLOCK_PROBE_BYTES, RESERVATION_OFFSET, RESERVATION_RECORD_BYTES, RESERVATION_SIGNATURE, decodeLabel, detectInfoBlock, hasReservationSignature, validateReservation, guidToBytes, isZeroGuid, qemuDimmCookies,
  rawBytesToText, rawTextToBytes, readLabelArea, slotOffset, labelAreaLayout, decodeAscii, decodeNfit, nfitStructuresOfKind, nfitInterleaveSetCookies,
  slotToHandle, FormatError, LABEL_AREA_LIMIT_BYTES, MIN_SLOTS, type Label, type LabelAreaReport, type LabelRegion, type Reason, type InfoBlockDetection,
} from "../formats/index.js";
import type { Command } from "./command.js";
import { SUMMARY } from "./verbs.js";
import { UserError } from "./errors.js";
import { openReadOnly } from "./read-file.js";

export interface InspectLabelsInput {
  file: string;
  labelSizeBytes: number;
  /** FILE holds only the label area. */
  labelAreaOnly: boolean;
  /** QEMU slot of the DIMM, for its interleave-set cookie; ignored with nfitFile. */
  slot: number;
  /** An NFIT to take the DIMM's region and cookies from instead of QEMU's defaults. */
  nfitFile?: string;
  /** The backing window inside FILE, as memory-backend-file's offset= and size=; default the whole file. */
  windowOffset?: number;
  windowSize?: number;
}

/** An index block with the field names of `ndctl read-labels -j`. */
export interface NdctlIndexEntry { signature: string; major: number; minor: number; labelsize: number; seq: number; nslot: number }
/** A label with the field names of `ndctl read-labels -j`. */
export interface NdctlLabelEntry {
  uuid: string; name: string; slot: number; position: number; nlabel: number; flags: number;
  isetcookie: bigint; lbasize: bigint; dpa: bigint; rawsize: bigint; type_guid?: string; abstraction_guid?: string;
}

export interface NamespaceEntry {
  uuid: string | null;
  name: string;
  dpa: bigint;
  rawsize: bigint;
  /** "hypervisor": a reservation record (which a stock Linux refuses to bind). */
  mode?: "fsdax" | "devdax" | "sector" | "raw" | "hypervisor";
  labelless?: true;
  slots: number[];
  claimClass?: string;
}

export interface InfoBlockEntry {
  namespace: string | null;
  kind: InfoBlockDetection["kind"] | "reservation";
  mode: InfoBlockDetection["mode"] | "hypervisor";
  offset?: number;
  signature?: string;
  uuid?: string;
  parentUuid?: string;
  dataoff?: bigint;
  align?: number;
  version?: string;
  reasons: Reason[];
}

export interface InspectLabelsResult {
  file: string;
  labelAreaOffset: number;
  labelSizeBytes: number;
  dataPresent: boolean;
  labelVersion: "1.1" | "1.2" | null;
  current: 0 | 1 | -1;
  why: string;
  index: NdctlIndexEntry[];
  indexValid: boolean[];
  label: NdctlLabelEntry[];
  activeSlots: number[];
  namespaces: NamespaceEntry[];
  rejected: { uuid: string; name: string; slots: number[]; reasons: Reason[] }[];
  stale: { slot: number; uuid: string; name: string; flags: number }[];
  corrupt: { slot: number; reasons: Reason[] }[];
  available: { dpa: bigint; size: bigint }[] | null;
  infoBlocks: InfoBlockEntry[];
  reasons: Reason[];
  valid: boolean;
}

const CLAIM_CLASSES: Record<string, string> = {
  [GUIDS.abstractionBtt]: "btt", [GUIDS.abstractionBtt2]: "btt2", [GUIDS.abstractionPfn]: "pfn", [GUIDS.abstractionDax]: "dax",
};

function claimClass(guid: Uint8Array | undefined): string | undefined {
  if (!guid) return undefined;
  if (isZeroGuid(guid)) return "none";
  for (const [text, name] of Object.entries(CLAIM_CLASSES)) if (guidToBytes(text).every((b, i) => b === guid[i])) return name;
  return "unknown";
}

function ndctlIndex(area: Uint8Array, offset: number): NdctlIndexEntry {
  if (!IndexBlockHeader.fits(area, offset)) return { signature: "", major: 0, minor: 0, labelsize: 128, seq: 0, nslot: 0 };
  const f = IndexBlockHeader.decode(area, offset);
  const version = f.major * 100 + f.minor;
  return {
    signature: decodeAscii(f.sig), major: f.major, minor: f.minor,
    labelsize: version >= 102 ? 2 ** (7 + Math.min(f.labelsize, 24)) : 128, seq: f.seq, nslot: f.nslot,
  };
}

function ndctlLabel(l: Label, slot: number): NdctlLabelEntry {
  return {
    uuid: rawBytesToText(l.uuid), name: l.name, slot, position: l.position, nlabel: l.nlabel, flags: l.flags,
    isetcookie: l.isetcookie, lbasize: l.lbasize, dpa: l.dpa, rawsize: l.rawsize,
    ...(l.typeGuid ? { type_guid: rawBytesToText(l.typeGuid) } : {}),
    ...(l.abstractionGuid ? { abstraction_guid: rawBytesToText(l.abstractionGuid) } : {}),
  };
}

/** ndctl prints every slot whose `slot` field names itself, free or not. */
function ndctlLabels(area: Uint8Array, report: LabelAreaReport): NdctlLabelEntry[] {
  const layout = report.selection.layout ?? labelAreaLayout(area.length, 128);
  if (!layout) return [];
  const out: NdctlLabelEntry[] = [];
  for (let slot = 0; slot < layout.nslot; slot++) {
    const at = slotOffset(layout, slot);
    if (at + layout.labelSizeBytes > area.length) break;
    const l = decodeLabel(area, at, layout.labelSizeBytes);
    if (l.slot === slot) out.push(ndctlLabel(l, slot));
  }
  return out;
}

/** Far larger than any real NFIT; keeps a mistaken path from being read whole. */
const MAX_TABLE_BYTES = 16 * 1024 * 1024;

function regionFromNfit(path: string, slot: number): LabelRegion {
  const f = openReadOnly(path);
  let bytes: Uint8Array;
  try {
    if (f.sizeBytes > MAX_TABLE_BYTES) throw new UserError("usage", `${path} is ${f.sizeBytes} bytes, too large for an NFIT`, "pass an NFIT such as /sys/firmware/acpi/tables/NFIT");
    bytes = f.read(0, f.sizeBytes);
  } finally { f.close(); }
  const { structures, reasons } = decodeNfit(bytes);
  if (reasons.length) throw new UserError("invalid-input", `Cannot use NFIT ${path}: ${reasons[0]!.message}`, "check it with `vnvdimm inspect acpi`", 1);
  const handle = slotToHandle(slot);
  const memdevs = nfitStructuresOfKind(structures, "memdev");
  const mine = memdevs.find((m) => m.deviceHandle === handle);
  if (!mine) throw new UserError("usage", `NFIT ${path} has no memory device with handle ${handle} (slot ${slot})`, "pick the DIMM with --slot");
  const spa = nfitStructuresOfKind(structures, "spa").find((s) => s.rangeIndex === mine.rangeIndex);
  if (!spa) throw new UserError("invalid-input", `NFIT ${path}: handle ${handle} maps to no SPA range`, undefined, 1);
  const set = memdevs.filter((m) => m.rangeIndex === spa.rangeIndex).sort((a, b) => (a.regionOffset < b.regionOffset ? -1 : 1));
  let cookies: LabelRegion["cookies"];
  try {
    cookies = nfitInterleaveSetCookies(spa, memdevs, nfitStructuresOfKind(structures, "control-region"));
  } catch (e) {
    if (!(e instanceof FormatError)) throw e;
    throw new UserError("invalid-input", `Cannot use NFIT ${path}: ${e.reasons[0]?.message ?? e.message}`, "check it with `vnvdimm inspect acpi`", 1);
  }
  return { nmappings: set.length, position: set.indexOf(mine), mappingDpa: mine.addressRegionBase, mappingSizeBytes: mine.regionSize, cookies, typeGuid: spa.regionTypeGuid };
}

const tooLarge = (what: string, hint: string) => new UserError("usage", `${what} is not below 2 GiB, the largest label area Linux can read`, hint);

export function inspectLabels(input: InspectLabelsInput): InspectLabelsResult {
  if (!Number.isSafeInteger(input.labelSizeBytes) || input.labelSizeBytes < 2 * 256 + MIN_SLOTS * 128) {
    throw new UserError("usage", `--label-size ${input.labelSizeBytes} is too small to hold a label area`, "QEMU's minimum is 128K");
  }
  if (input.labelSizeBytes >= LABEL_AREA_LIMIT_BYTES) throw tooLarge(`--label-size ${input.labelSizeBytes}`, "pass the label area's real size (QEMU's default is 128K)");
  const f = openReadOnly(input.file);
  try {
    const base = input.windowOffset ?? 0;
    const windowBytes = input.windowSize ?? f.sizeBytes - base;
    if (base < 0 || windowBytes < 0 || base + windowBytes > f.sizeBytes) {
      throw new UserError("usage", `the window ${base}+${windowBytes} does not fit ${input.file} (${f.sizeBytes} bytes)`, "check --offset and --size");
    }
    const areaBytes = input.labelAreaOnly ? windowBytes : input.labelSizeBytes;
    if (areaBytes >= LABEL_AREA_LIMIT_BYTES) throw tooLarge(`${input.file} (${areaBytes} bytes, all label area with --label-area)`, "without --label-area, the label area is the file's last --label-size bytes");
    if (!input.labelAreaOnly && windowBytes < input.labelSizeBytes) {
      throw new UserError("usage", `${input.file} is ${windowBytes} bytes, smaller than the ${input.labelSizeBytes}-byte label area`, "pass --label-area if the file holds only the label area, or a smaller --label-size");
    }
    const labelAreaOffset = base + (input.labelAreaOnly ? 0 : windowBytes - input.labelSizeBytes);
    const area = f.read(labelAreaOffset, areaBytes);
    const dataBytes = input.labelAreaOnly ? undefined : BigInt(windowBytes - input.labelSizeBytes);
    const region: LabelRegion = input.nfitFile
      ? regionFromNfit(input.nfitFile, input.slot)
      : { nmappings: 1, position: 0, mappingDpa: 0n, ...(dataBytes !== undefined ? { mappingSizeBytes: dataBytes } : {}), cookies: qemuDimmCookies(input.slot), typeGuid: guidToBytes(GUIDS.spaPersistentMemory) };
    const report = readLabelArea(area, region);
    const sel = report.selection;
    const namespaces: NamespaceEntry[] = report.namespaces.map((n) => {
      const cc = claimClass(n.abstractionGuid);
      return { uuid: n.uuid, name: n.name, dpa: n.dpa, rawsize: n.rawsize, slots: n.labels.map((l) => l.slot), ...(cc ? { claimClass: cc } : {}) };
    });
    if (!report.labelled && dataBytes !== undefined) {
      // Linux covers a label-less DIMM with one raw namespace over the whole mapping.
      namespaces.push({ uuid: null, name: "", dpa: region.mappingDpa, rawsize: region.mappingSizeBytes ?? dataBytes, labelless: true, slots: [] });
    }
    const infoBlocks: InfoBlockEntry[] = [];
    if (dataBytes !== undefined) {
      for (const ns of namespaces) {
        if (ns.dpa + BigInt(INFO_BLOCK_PROBE_BYTES) > dataBytes) continue;
        const head = f.read(base + Number(ns.dpa), INFO_BLOCK_PROBE_BYTES);
        if (hasReservationSignature(head, RESERVATION_OFFSET)) {
          ns.mode = "hypervisor";
          infoBlocks.push(describeReservation(ns, head.subarray(RESERVATION_OFFSET, RESERVATION_OFFSET + RESERVATION_RECORD_BYTES)));
          continue;
        }
        const det = detectInfoBlock(head, { ...(ns.uuid ? { parentUuid: rawTextToBytes(ns.uuid) } : {}), namespaceSizeBytes: ns.rawsize });
        ns.mode = det.mode;
        infoBlocks.push(describeInfoBlock(ns.uuid, det));
      }
    }
    const allZeroSignatures = !report.labelled && sel.blocks.every((b) => b.reasons[0]?.code === "index.signature");
    // A DIMM that was never labelled is a valid state (QEMU's default), not an error.
    const reasons = allZeroSignatures ? [] : [...report.reasons, ...infoBlocks.flatMap((b) => b.reasons)];
    return {
      file: input.file, labelAreaOffset, labelSizeBytes: areaBytes, dataPresent: dataBytes !== undefined,
      labelVersion: sel.layout && sel.current >= 0 ? (sel.layout.labelSizeBytes === 128 ? "1.1" : "1.2") : null,
      current: sel.current, why: sel.why,
      index: [ndctlIndex(area, 0), ndctlIndex(area, sel.layout?.indexSizeBytes ?? 256)],
      indexValid: sel.blocks.map((b) => b.valid),
      label: ndctlLabels(area, report),
      activeSlots: report.active.map((s) => s.slot),
      namespaces,
      rejected: report.rejected.map((r) => ({ uuid: r.uuid, name: r.name, slots: r.labels.map((l) => l.slot), reasons: [...r.reasons] })),
      stale: report.stale.map((s) => ({ slot: s.slot, uuid: rawBytesToText(s.label.uuid), name: s.label.name, flags: s.label.flags })),
      corrupt: report.corrupt.map((c) => ({ slot: c.slot, reasons: [...c.reasons] })),
      available: report.available ? report.available.map((e) => ({ dpa: e.dpa, size: e.sizeBytes })) : null,
      infoBlocks,
      reasons,
      valid: reasons.length === 0,
    };
  } finally {
    f.close();
  }
}

function describeInfoBlock(namespace: string | null, d: InfoBlockDetection): InfoBlockEntry {
  const base: InfoBlockEntry = { namespace, kind: d.kind, mode: d.mode, reasons: [...d.reasons] };
  if (d.kind === "none" || !d.block) return base;
  const b = d.block;
  const common = { offset: d.offset, signature: decodeAscii(b.signature), uuid: rawBytesToText(b.uuid), parentUuid: rawBytesToText(b.parentUuid), version: `${b.versionMajor}.${b.versionMinor}` };
  if ("npfns" in b) return { ...base, ...common, dataoff: b.dataoff, align: b.align };
  return { ...base, ...common, dataoff: BigInt(d.offset ?? 0) + b.dataoff };
}

/** A reservation record where Linux looks for an info block: it is read as what it is, not as the fsdax block it poses as. */
function describeReservation(ns: NamespaceEntry, bytes: Uint8Array): InfoBlockEntry {
  const v = validateReservation(bytes, { namespaceSizeBytes: ns.rawsize, ...(ns.uuid ? { parentUuid: rawTextToBytes(ns.uuid) } : {}) });
  const base: InfoBlockEntry = { namespace: ns.uuid, kind: "reservation", mode: "hypervisor", offset: RESERVATION_OFFSET, signature: RESERVATION_SIGNATURE, reasons: [...v.reasons] };
  const r = v.record;
  return r ? { ...base, uuid: r.uuid, ...(r.parentUuid ? { parentUuid: r.parentUuid } : {}), dataoff: r.dataOffset, align: r.align, version: r.version } : base;
}

export const inspectLabelsCommand: Command<InspectLabelsInput, InspectLabelsResult> = {
  name: "inspect labels",
  summary: SUMMARY["inspect labels"],
  run: inspectLabels,
};
