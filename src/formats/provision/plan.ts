// Pre-provisioning: the writes `ndctl init-labels` and then `ndctl
// create-namespace -m MODE` for each namespace, one after another, would
// leave on a guest vNVDIMM, so that a Linux guest finds the namespaces ready.
import { assert } from "../reasons.js";
import { selectIndex } from "../labels/read-index.js";
import { applyWrites, initLabelWrites } from "../labels/init.js";
import { planLabelUpdate, type LabelWrite } from "../labels/update.js";
import type { LabelInit } from "../labels/label.js";
import { buildPfnSb } from "../infoblock/pfn-layout.js";
import { PFN_SB_OFFSET } from "../infoblock/pfn.js";
import { INFO_BLOCK_PROBE_BYTES } from "../infoblock/detect.js";
import { buildBttWrites } from "../infoblock/btt-layout.js";
import { GUIDS, guidToBytes } from "../guid.js";
import { abstractionGuidFor, bttVersionFor, defaultSectorSize, namespaceGeometry, qemuLabelRegion } from "./geometry.js";
import { assertProvisionable } from "./validate.js";
import type { DataWrite, DataZeroFill, ImageCopy, ProvisionInput, ProvisionNamespace, ProvisionPlan, ProvisionedNamespace } from "./types.js";

/**
 * Plans the label-area and data writes for `input.namespaces`, created in
 * order. Throws FormatError (codes `provision.*`) when ndctl or Linux would
 * refuse the request. Labels come first, as in Linux: the info blocks are
 * written when the pfn, dax or btt device is enabled on the labelled namespace.
 */
export function planProvision(input: ProvisionInput): ProvisionPlan {
  assertProvisionable(input);
  const labelWrites: LabelWrite[] = [];
  let area: Uint8Array = input.existingLabelArea ? Uint8Array.from(input.existingLabelArea) : new Uint8Array(input.labelAreaBytes);
  if (selectIndex(area).current < 0) {
    const init = initLabelWrites(input.labelAreaBytes, input.labels);
    area = applyWrites(new Uint8Array(input.labelAreaBytes), init);
    labelWrites.push(...init);
  }
  const cookies = qemuLabelRegion(input.slot).cookies;
  const dataWrites: DataWrite[] = [];
  const zeroFills: DataZeroFill[] = [];
  const imageCopies: ImageCopy[] = [];
  const namespaces: ProvisionedNamespace[] = [];
  for (const [index, spec] of input.namespaces.entries()) {
    const ns = withUuids(spec, input);
    const geometry = namespaceGeometry(ns, input.labels, input.spaBaseBytes ?? 0n);
    const name = ns.name ?? "";
    const label: LabelInit = {
      uuid: ns.uuid!, name, flags: 0, nlabel: 1, position: 0,
      isetcookie: input.labels === "1.1" ? cookies.v11 : cookies.v12,
      lbasize: geometry.lbasize, dpa: ns.dpa, rawsize: ns.sizeBytes,
      ...(input.labels === "1.2" ? { align: 0, typeGuid: guidToBytes(GUIDS.spaPersistentMemory), abstractionGuid: abstractionGuidFor(ns.mode) } : {}),
    };
    // Linux rewrites the label three times per create (size, sector_size and holder_class stores), each in
    // two passes, plus an index-only write for each of the uuid and alt_name stores: 8 index writes, which
    // leave the same bytes as the single two-pass update here (seq cycles in 3, the blocks alternate in 2).
    const update = planLabelUpdate(area, label);
    area = update.area;
    labelWrites.push(...update.writes);
    const data = dataFor(ns, input, geometry.dataOffsetBytes);
    dataWrites.push(...data.writes);
    zeroFills.push(...data.zeroFills);
    if (data.image) imageCopies.push({ namespace: index, ...data.image });
    namespaces.push({
      mode: ns.mode, name, uuid: ns.uuid!, ...(ns.mode !== "raw" ? { deviceUuid: ns.deviceUuid! } : {}),
      dpa: ns.dpa, sizeBytes: ns.sizeBytes, lbasize: geometry.lbasize, capacityBytes: geometry.capacityBytes,
      ...(geometry.dataOffsetBytes !== undefined ? { dataOffsetBytes: geometry.dataOffsetBytes } : {}),
    });
  }
  return { labelArea: area, labelWrites, dataWrites, zeroFills, imageCopies, namespaces };
}

/** ndctl generates the namespace uuid first, then the device's. */
function withUuids(ns: ProvisionNamespace, input: ProvisionInput): ProvisionNamespace {
  const uuid = ns.uuid ?? input.newUuid!();
  const deviceUuid = ns.mode === "raw" ? undefined : ns.deviceUuid ?? input.newUuid!();
  assert(uuid.length === 16 && (deviceUuid === undefined || deviceUuid.length === 16), "newUuid makes 16-byte uuids");
  return { ...ns, uuid, ...(deviceUuid ? { deviceUuid } : {}) };
}

interface NamespaceData { writes: DataWrite[]; zeroFills: DataZeroFill[]; image?: Omit<ImageCopy, "namespace"> }

function dataFor(ns: ProvisionNamespace, input: ProvisionInput, dataoff: bigint | undefined): NamespaceData {
  const label = ns.name ? `"${ns.name}"` : "namespace";
  if (ns.mode === "fsdax" || ns.mode === "devdax") {
    const sb = buildPfnSb({
      kind: ns.mode, uuid: ns.deviceUuid!, parentUuid: ns.uuid!, namespaceStartBytes: (input.spaBaseBytes ?? 0n) + ns.dpa,
      namespaceSizeBytes: ns.sizeBytes, map: "dev", alignBytes: ns.align,
    });
    const writes: DataWrite[] = [{ dpa: ns.dpa + BigInt(PFN_SB_OFFSET), bytes: sb, what: `${label} ${ns.mode === "fsdax" ? "pfn" : "dax"} info block` }];
    // A BTT 2.0 block of an earlier namespace at offset 0 would be probed before ours.
    const zeroFills: DataZeroFill[] = [{ dpa: ns.dpa, sizeBytes: BigInt(PFN_SB_OFFSET), what: `${label} stale info blocks` }];
    const image = ns.image && dataoff !== undefined ? { dpa: ns.dpa + dataoff, sizeBytes: ns.image.sizeBytes, what: `${label} filesystem image` } : undefined;
    return { writes, zeroFills, ...(image ? { image } : {}) };
  }
  if (ns.mode === "sector") {
    const btt = buildBttWrites({
      namespaceSizeBytes: ns.sizeBytes, sectorSize: ns.sectorSize ?? defaultSectorSize("sector"),
      version: bttVersionFor(input.labels), uuid: ns.deviceUuid!, parentUuid: ns.uuid!,
    });
    return {
      writes: btt.writes.map((w) => ({ dpa: ns.dpa + w.offset, bytes: w.bytes, what: `${label} ${w.what}` })),
      zeroFills: btt.zeroFills.map((z) => ({ dpa: ns.dpa + z.offset, sizeBytes: z.sizeBytes, what: `${label} ${z.what}` })),
    };
  }
  // Raw: no info block of ours, so none of an earlier namespace may stay where Linux probes (as ndctl zeroes it).
  return { writes: [], zeroFills: [{ dpa: ns.dpa, sizeBytes: ns.sizeBytes < BigInt(INFO_BLOCK_PROBE_BYTES) ? ns.sizeBytes : BigInt(INFO_BLOCK_PROBE_BYTES), what: `${label} stale info blocks` }] };
}
