// Which namespaces Linux builds from a region's active labels (Linux
// drivers/nvdimm/namespace_devs.c: scan_labels, create_namespace_pmem,
// has_uuid_at_pos). A label set becomes a namespace only when every check
// passes; anything else is returned with the reason, never silently dropped.
import { reason, type Reason } from "../reasons.js";
import { guidEquals, rawBytesToText } from "../guid.js";
import { addU64 } from "../units.js";
import type { SlotLabel } from "./active.js";
import { hex64 } from "./read-index.js";

export type SetReasonCode =
  | "label.dpa" | "label.isetcookie" | "label.type-guid" | "label.duplicate-uuid" | "label.nlabel" | "label.position";

export type SetReason = Reason & { code: SetReasonCode };

/** What the region around the label area looks like (from the NFIT, or QEMU's defaults). */
export interface LabelRegion {
  /** DIMMs in the interleave set; QEMU NVDIMMs are never interleaved, so 1. */
  readonly nmappings: number;
  /** This DIMM's position in the set. */
  readonly position: number;
  /** First DPA of this DIMM's mapping, and its size when known. */
  readonly mappingDpa: bigint;
  readonly mappingSizeBytes?: bigint;
  readonly cookies: { readonly v11: bigint; readonly v12: bigint };
  /** The SPA range type GUID that v1.2 labels must carry (bytes as stored). */
  readonly typeGuid: Uint8Array;
}

export interface Namespace {
  readonly uuid: string;
  readonly name: string;
  readonly dpa: bigint;
  readonly rawsize: bigint;
  readonly lbasize: bigint;
  readonly flags: number;
  readonly abstractionGuid?: Uint8Array;
  readonly labels: readonly SlotLabel[];
}

export interface RejectedSet {
  readonly uuid: string;
  readonly name: string;
  readonly reasons: readonly SetReason[];
  readonly labels: readonly SlotLabel[];
}

/**
 * Builds namespaces from one DIMM's active labels. `indexMinor` is the minor
 * version of the current index: v1.1 indexes expect cookie1, later ones cookie2.
 */
export function acceptNamespaces(active: readonly SlotLabel[], indexMinor: number, region: LabelRegion): { namespaces: Namespace[]; rejected: RejectedSet[] } {
  const cookie = indexMinor === 1 ? region.cookies.v11 : region.cookies.v12;
  const groups = new Map<string, SlotLabel[]>();
  for (const s of active) {
    const k = rawBytesToText(s.label.uuid);
    const g = groups.get(k);
    if (g) g.push(s); else groups.set(k, [s]);
  }
  const namespaces: Namespace[] = [];
  const rejected: RejectedSet[] = [];
  const mapEnd = region.mappingSizeBytes === undefined ? undefined : addU64(region.mappingDpa, region.mappingSizeBytes);
  for (const [uuid, labels] of groups) {
    const reasons: SetReason[] = [];
    const push = (code: SetReasonCode, message: string, data: Record<string, unknown> = {}) =>
      reasons.push(reason(code, `namespace ${uuid}: ${message}`, { uuid, ...data }));
    for (const { slot, label } of labels) {
      const end = addU64(label.dpa, label.rawsize);
      if (label.dpa < region.mappingDpa || end === undefined || (mapEnd !== undefined && end > mapEnd)) {
        push("label.dpa", `label in slot ${slot} covers DPA ${hex64(label.dpa)}+${hex64(label.rawsize)}, outside the DIMM's mapping`, { slot });
      }
      if (label.isetcookie !== cookie) {
        push("label.isetcookie", `label in slot ${slot} has isetcookie ${hex64(label.isetcookie)}, the region expects ${hex64(cookie)}`, { slot, found: hex64(label.isetcookie), expected: hex64(cookie) });
      }
      if (label.typeGuid && !guidEquals(label.typeGuid, region.typeGuid)) {
        push("label.type-guid", `label in slot ${slot} has type GUID ${rawBytesToText(label.typeGuid)}, not the region's`, { slot });
      }
      if (label.nlabel !== region.nmappings) {
        push("label.nlabel", `label in slot ${slot} says nlabel ${label.nlabel}, the region has ${region.nmappings} DIMM(s)`, { slot, nlabel: label.nlabel });
      }
    }
    const atMyPosition = labels.filter((s) => s.label.position === region.position);
    if (labels.length > 1) {
      push("label.duplicate-uuid", `${labels.length} labels on one DIMM (slots ${labels.map((s) => s.slot).join(", ")}): conflicting extents`, { slots: labels.map((s) => s.slot) });
    } else if (atMyPosition.length !== 1) {
      push("label.position", `no label for position ${region.position} (found ${labels.map((s) => s.label.position).join(", ")})`, { expected: region.position });
    }
    const first = labels[0]!.label;
    if (reasons.length) {
      rejected.push({ uuid, name: first.name, reasons, labels });
      continue;
    }
    namespaces.push({
      uuid, name: first.name, dpa: first.dpa, rawsize: first.rawsize, lbasize: first.lbasize, flags: first.flags,
      ...(first.abstractionGuid ? { abstractionGuid: first.abstractionGuid } : {}), labels,
    });
  }
  namespaces.sort((a, b) => (a.dpa < b.dpa ? -1 : a.dpa > b.dpa ? 1 : 0));
  return { namespaces, rejected };
}
