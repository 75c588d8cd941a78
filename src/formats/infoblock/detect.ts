// Which info block, if any, claims a namespace: the probe order of Linux's
// pmem driver (btt, then pfn, then dax), without the label's claim class to
// steer it, so both BTT positions are tried.
import { reason, type Reason } from "../reasons.js";
import { BTT_SB_OFFSET, BttSb, decodeBttSb, hasBttSignature, validateBttSb, type BttSbFields, type BttVersion } from "./btt.js";
import { decodePfnSb, PFN_SB_OFFSET, PfnSb, pfnSignatureKind, validatePfnSb, type PfnSbFields } from "./pfn.js";

export type InfoBlockMode = "fsdax" | "devdax" | "sector" | "raw";

/** The block found; `reasons` is empty when it is valid. A signature with a bad block still names its kind. */
export type InfoBlockDetection =
  | { kind: "pfn" | "dax"; offset: number; mode: "fsdax" | "devdax"; block: PfnSbFields; reasons: Reason[] }
  | { kind: "btt"; offset: number; mode: "sector"; block: BttSbFields; reasons: Reason[] }
  | { kind: "none"; offset: undefined; mode: "raw"; block: undefined; reasons: Reason[] };

export interface DetectOptions {
  /** The namespace (label) uuid; info blocks must name it as parent. */
  parentUuid?: Uint8Array;
  namespaceSizeBytes?: bigint;
  /** Physical start address of the namespace, for the pfn alignment checks. */
  namespaceStartBytes?: bigint;
}

/** Bytes needed to see every candidate: BTT 2.0 at 0, and the 4096-byte block at 4096. */
export const INFO_BLOCK_PROBE_BYTES = PFN_SB_OFFSET + PfnSb.size;

/** Looks at the first ≥ 8 KiB of a namespace. Never throws; short input is reported as a reason. */
export function detectInfoBlock(namespaceStart: Uint8Array, opts: DetectOptions = {}): InfoBlockDetection {
  const found: InfoBlockDetection[] = [];
  for (const version of ["2.0", "1.1"] as BttVersion[]) {
    const at = BTT_SB_OFFSET[version];
    if (BttSb.fits(namespaceStart, at) && hasBttSignature(namespaceStart, at)) {
      const bytes = namespaceStart.subarray(at, at + BttSb.size);
      const reasons = validateBttSb(bytes, { parentUuid: opts.parentUuid, version, namespaceSizeBytes: opts.namespaceSizeBytes });
      found.push({ kind: "btt", offset: at, mode: "sector", block: decodeBttSb(bytes), reasons });
    }
  }
  const kind = PfnSb.fits(namespaceStart, PFN_SB_OFFSET) ? pfnSignatureKind(namespaceStart, PFN_SB_OFFSET) : undefined;
  if (kind !== undefined) {
    const bytes = namespaceStart.subarray(PFN_SB_OFFSET, PFN_SB_OFFSET + PfnSb.size);
    const reasons = validatePfnSb(bytes, { ...opts, kind });
    found.push({ kind, offset: PFN_SB_OFFSET, mode: kind === "pfn" ? "fsdax" : "devdax", block: decodePfnSb(bytes), reasons });
  }
  const valid = found.find((d) => d.reasons.length === 0);
  if (valid !== undefined) return valid;
  const short = namespaceStart.length < INFO_BLOCK_PROBE_BYTES
    ? [reason("infoblock.truncated", `${namespaceStart.length} bytes given; ${INFO_BLOCK_PROBE_BYTES} are needed to see every info block`, { bytes: namespaceStart.length })]
    : [];
  const first = found[0];
  if (first !== undefined) return { ...first, reasons: [...first.reasons, ...short] };
  return { kind: "none", offset: undefined, mode: "raw", block: undefined, reasons: short };
}
