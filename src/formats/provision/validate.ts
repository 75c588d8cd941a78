// Checks a provisioning request the way ndctl and the kernel would refuse it
// (ndctl/namespace.c validate_namespace_options, check_dax_align; Linux
// namespace_devs.c size and alt_name stores). Never throws.
import { FormatError, reason, type Reason } from "../reasons.js";
import { isZeroGuid, rawBytesToText } from "../guid.js";
import { addU64, hex } from "../units.js";
import { PFN_SUPPORTED_ALIGNS } from "../infoblock/pfn.js";
import { layoutForVersion } from "../labels/init.js";
import { readLabelArea, type Extent } from "../labels/area.js";
import {
  DEFAULT_REGION_ALIGN_BYTES, PMEM_SECTOR_SIZES, PROVISION_MIN_BYTES, namespaceGeometry, qemuLabelRegion,
} from "./geometry.js";
import type { ProvisionInput, ProvisionNamespace, ProvisionReasonCode } from "./types.js";

export type ProvisionReason = Reason & { code: ProvisionReasonCode };

type Push = (code: ProvisionReasonCode, message: string, data?: Record<string, unknown>) => void;

/** Every reason Linux or ndctl would refuse the request for, in namespace order; empty when it is fine. */
export function validateProvision(input: ProvisionInput): ProvisionReason[] {
  const out: ProvisionReason[] = [];
  const push: Push = (code, message, data = {}) => { out.push(reason(code, message, data)); };
  const busy = checkLabelArea(input, push);
  const uuids = new Set(busy.uuids);
  const extents: (Extent & { who: string })[] = busy.extents.map((e) => ({ ...e, who: "an existing namespace" }));
  input.namespaces.forEach((ns, i) => {
    const who = `namespace ${i}${ns.name ? ` "${ns.name}"` : ""}`;
    const before = out.length;
    checkNamespace(input, ns, who, push);
    if (out.length === before) checkGeometry(input, ns, who, push);
    for (const u of [ns.uuid, ns.deviceUuid]) {
      if (u?.length !== 16) continue;
      const text = rawBytesToText(u);
      if (uuids.has(text)) push("provision.uuid", `${who}: uuid ${text} is already in use`, { index: i });
      uuids.add(text);
    }
    const end = addU64(ns.dpa, ns.sizeBytes);
    if (end === undefined || ns.sizeBytes <= 0n) return;
    const hit = extents.find((e) => ns.dpa < e.dpa + e.sizeBytes && e.dpa < end);
    if (hit) push("provision.overlap", `${who}: DPA ${hex(ns.dpa)}+${hex(ns.sizeBytes)} overlaps ${hit.who} at ${hex(hit.dpa)}+${hex(hit.sizeBytes)}`, { index: i });
    extents.push({ dpa: ns.dpa, sizeBytes: ns.sizeBytes, who });
  });
  return out;
}

/** Throws FormatError with every reason when the request would be refused. */
export function assertProvisionable(input: ProvisionInput): void {
  const reasons = validateProvision(input);
  if (reasons.length > 0) throw new FormatError("Cannot provision namespaces", reasons);
}

function checkLabelArea(input: ProvisionInput, push: Push): { uuids: string[]; extents: Extent[] } {
  const layout = layoutForVersion(input.labelAreaBytes, input.labels);
  if (!layout) {
    push("provision.label-area", `a ${input.labelAreaBytes}-byte label area cannot hold v${input.labels} labels`);
    return { uuids: [], extents: [] };
  }
  const existing = input.existingLabelArea;
  let free = layout.nslot;
  let found: { uuids: string[]; extents: Extent[] } = { uuids: [], extents: [] };
  if (existing && existing.length !== input.labelAreaBytes) {
    push("provision.label-area", `the existing label area is ${existing.length} bytes, not ${input.labelAreaBytes}`);
  } else if (existing) {
    const report = readLabelArea(existing, qemuLabelRegion(input.slot, input.mappingSizeBytes));
    const minor = report.labelled ? report.selection.blocks[report.selection.current as 0 | 1].fields!.minor : undefined;
    if (minor !== undefined && minor !== (input.labels === "1.1" ? 1 : 2)) {
      push("provision.label-version", `the label area holds v1.${minor} labels, not v${input.labels}`, { minor });
    }
    if (report.labelled) free = report.freeSlots;
    found = {
      uuids: [...report.namespaces, ...report.rejected].map((n) => n.uuid),
      extents: [...report.namespaces.map((n) => ({ dpa: n.dpa, sizeBytes: n.rawsize })), ...report.suspect],
    };
  }
  // Each label update writes the new label to a free slot before the old one is freed.
  if (input.namespaces.length > 0 && free < input.namespaces.length + 1) {
    push("provision.label-slots", `${input.namespaces.length} namespaces need ${input.namespaces.length + 1} free label slots; ${free} are free`, { free });
  }
  return found;
}

function checkNamespace(input: ProvisionInput, ns: ProvisionNamespace, who: string, push: Push): void {
  const name = ns.name ?? "";
  // alt_name_store: NUL-terminated in 64 bytes, and strim()ed, so surrounding blanks would not survive.
  if (name.length > 63 || !/^[\x20-\x7e]*$/.test(name) || name !== name.trim()) {
    push("provision.name", `${who}: name must be at most 63 printable ASCII characters without surrounding blanks`);
  }
  for (const [what, u] of [["uuid", ns.uuid], ["device uuid", ns.deviceUuid]] as const) {
    if (u !== undefined && (u.length !== 16 || isZeroGuid(u))) push("provision.uuid", `${who}: ${what} must be 16 bytes, not all zero`);
    const needed = what === "uuid" || ns.mode !== "raw";
    if (u === undefined && needed && !input.newUuid) push("provision.uuid", `${who}: no ${what} given and no newUuid to make one`);
  }
  const regionAlign = input.regionAlignBytes ?? DEFAULT_REGION_ALIGN_BYTES;
  const size = ns.sizeBytes;
  if (size <= 0n || (ns.mode !== "raw" && size < PROVISION_MIN_BYTES)) {
    push("provision.size", `${who}: ${hex(size)} bytes is below the ${ns.mode === "raw" ? "one-byte" : "16 MiB"} minimum for ${ns.mode} mode`);
  } else if (size % regionAlign !== 0n) {
    push("provision.size", `${who}: size ${hex(size)} is not a multiple of the region align ${hex(regionAlign)}`);
  }
  // Linux allocates DPA in region-align units from the mapping start, so no other DPA can occur.
  if (ns.dpa < 0n || ns.dpa % regionAlign !== 0n) push("provision.dpa", `${who}: DPA ${hex(ns.dpa)} is not a multiple of the region align ${hex(regionAlign)}`);
  const end = addU64(ns.dpa, size);
  if (end === undefined || (input.mappingSizeBytes !== undefined && end > input.mappingSizeBytes)) {
    push("provision.extent", `${who}: DPA ${hex(ns.dpa)}+${hex(size)} lies outside the ${hex(input.mappingSizeBytes ?? 0n)}-byte mapping`);
  }
  // The BTT also takes 520-4224 byte sectors with integrity metadata, but the namespace (and so its
  // label lbasize) only takes these; ndctl would leave the label's lbasize unset for the others.
  if (ns.sectorSize !== undefined && !PMEM_SECTOR_SIZES.includes(ns.sectorSize)) {
    push("provision.sector-size", `${who}: sector size ${ns.sectorSize} is not one of ${PMEM_SECTOR_SIZES.join(", ")}`);
  }
  checkAlign(input, ns, who, push);
  if (ns.image !== undefined && ns.mode !== "fsdax") push("provision.image", `${who}: an image can only go into an fsdax namespace`);
}

function checkAlign(input: ProvisionInput, ns: ProvisionNamespace, who: string, push: Push): void {
  if (ns.mode !== "fsdax" && ns.mode !== "devdax") {
    if (ns.align !== undefined) push("provision.align", `${who}: ${ns.mode} mode does not take an align`);
    return;
  }
  const align = ns.align ?? 2 * 1024 * 1024;
  // check_dax_align: ndctl refuses a pfn or dax device on a namespace that does not start 16 MiB aligned.
  const start = (input.spaBaseBytes ?? 0n) + ns.dpa;
  const problem = !PFN_SUPPORTED_ALIGNS.includes(align) ? `align ${hex(align)} is not one of ${PFN_SUPPORTED_ALIGNS.map((a) => hex(a)).join(", ")}`
    : ns.sizeBytes % BigInt(align) !== 0n ? `size ${hex(ns.sizeBytes)} is not a multiple of align ${hex(align)}`
    : start % PROVISION_MIN_BYTES !== 0n ? `namespace start ${hex(start)} is not 16 MiB aligned`
    : undefined;
  if (problem !== undefined) push("provision.align", `${who}: ${problem}`, { align });
}

/** Once the plain checks pass: the layout Linux computes must exist, and an image must fit its data area. */
function checkGeometry(input: ProvisionInput, ns: ProvisionNamespace, who: string, push: Push): void {
  let capacity: bigint;
  try {
    capacity = namespaceGeometry(ns, input.labels, input.spaBaseBytes ?? 0n).capacityBytes;
  } catch (e) {
    if (!(e instanceof FormatError)) throw e;
    push("provision.layout", `${who}: ${e.message}`, { cause: e.code });
    return;
  }
  const imageBytes = ns.image?.sizeBytes ?? 0n;
  if (imageBytes > capacity) push("provision.image", `${who}: the ${hex(imageBytes)}-byte image does not fit the ${hex(capacity)}-byte data area`);
}
