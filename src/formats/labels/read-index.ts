// Validating the two index blocks and choosing the current one, step by step
// in the order of Linux's __nd_label_validate (FORMATS.md §5), with every
// reason returned to the caller instead of hidden in a debug log.
import { reason, type Reason } from "../reasons.js";
import { IndexBlockHeader, hasIndexSignature, indexChecksum, type IndexBlockFields } from "./index-block.js";
import { LABEL_SIZES, labelAreaLayout, type LabelAreaLayout, type LabelSize } from "./layout.js";
import { SEQ_MASK, bestSeq } from "./seq.js";

export type IndexReasonCode =
  | "index.truncated" | "index.signature" | "index.labelsize" | "index.checksum" | "index.seq"
  | "index.myoff" | "index.otheroff" | "index.labeloff" | "index.mysize" | "index.nslot";

export type IndexReason = Reason & { code: IndexReasonCode; copy: 0 | 1 };

export interface IndexBlockReport {
  readonly copy: 0 | 1;
  readonly offset: number;
  /** Present once the signature matched. */
  readonly fields?: IndexBlockFields;
  /** Label bytes this block declares (128 before v1.2). */
  readonly declaredLabelSize?: number;
  readonly valid: boolean;
  readonly reasons: readonly IndexReason[];
}

export type AreaReasonCode = "area.too-small" | "area.no-valid-index";

export interface IndexSelection {
  /** The layout of the probe that found a valid block, or of the blocks' own label size when none did. */
  readonly layout?: LabelAreaLayout;
  readonly blocks: readonly [IndexBlockReport, IndexBlockReport];
  /** -1 when neither block is valid: Linux then treats the DIMM as label-less. */
  readonly current: 0 | 1 | -1;
  readonly why: string;
  readonly reasons: readonly (Reason & { code: AreaReasonCode })[];
}

function declaredLabelSize(f: IndexBlockFields): number {
  const version = f.major * 100 + f.minor;
  return version >= 102 ? 1 << (7 + Math.min(f.labelsize, 24)) : 128;
}

/** Checks one block under a probed layout. Never throws; never mutates `area`. */
export function checkIndexBlock(area: Uint8Array, copy: 0 | 1, layout: LabelAreaLayout): IndexBlockReport {
  const S = layout.indexSizeBytes;
  const offset = copy * S;
  const r: IndexReason[] = [];
  const fail = (code: IndexReasonCode, message: string, data: Record<string, unknown> = {}): IndexBlockReport =>
    ({ copy, offset, valid: false, reasons: [...r, reason(code, message, { copy, ...data }) as IndexReason] });

  if (offset + S > area.length) return fail("index.truncated", `index block ${copy} needs ${S} bytes at ${offset}; the area has ${area.length}`);
  if (!hasIndexSignature(area, offset)) return fail("index.signature", `index block ${copy} has no NAMESPACE_INDEX signature`);
  const f = IndexBlockHeader.decode(area, offset);
  const declared = declaredLabelSize(f);
  const base = { copy, offset, fields: f, declaredLabelSize: declared };
  if (declared !== layout.labelSizeBytes) {
    return { ...base, valid: false, reasons: [reason("index.labelsize", `index block ${copy} declares ${declared}-byte labels (v${f.major}.${f.minor}), probed ${layout.labelSizeBytes}`, { copy, declared, probed: layout.labelSizeBytes }) as IndexReason] };
  }
  const push = (code: IndexReasonCode, message: string, data: Record<string, unknown>) => r.push(reason(code, message, { copy, ...data }) as IndexReason);
  const sum = indexChecksum(area, offset, S);
  if (sum !== f.checksum) push("index.checksum", `index block ${copy} checksum mismatch`, { stored: hex64(f.checksum), computed: hex64(sum) });
  if ((f.seq & SEQ_MASK) === 0) push("index.seq", `index block ${copy} sequence ${f.seq} is invalid (seq & 3 must not be 0)`, { seq: f.seq });
  if (f.myoff !== BigInt(offset)) push("index.myoff", `index block ${copy} myoff ${hex64(f.myoff)} should be ${hex64(BigInt(offset))}`, { myoff: hex64(f.myoff) });
  if (f.otheroff !== BigInt((1 - copy) * S)) push("index.otheroff", `index block ${copy} otheroff ${hex64(f.otheroff)} should be ${hex64(BigInt((1 - copy) * S))}`, { otheroff: hex64(f.otheroff) });
  if (f.labeloff !== BigInt(2 * S)) push("index.labeloff", `index block ${copy} labeloff ${hex64(f.labeloff)} should be ${hex64(BigInt(2 * S))}`, { labeloff: hex64(f.labeloff) });
  if (f.mysize > BigInt(S) || f.mysize < BigInt(IndexBlockHeader.size)) push("index.mysize", `index block ${copy} mysize ${f.mysize} is outside 72..${S}`, { mysize: Number(f.mysize) });
  const bitmapFits = IndexBlockHeader.size + Math.ceil(f.nslot / 8) <= S;
  if (f.nslot * layout.labelSizeBytes + 2 * S > layout.configSizeBytes || !bitmapFits) {
    push("index.nslot", `index block ${copy} nslot ${f.nslot} does not fit a ${layout.configSizeBytes}-byte area`, { nslot: f.nslot });
  }
  return { ...base, valid: r.length === 0, reasons: r };
}

/**
 * Finds the current index block. Like Linux, it probes 128-byte labels, then
 * 256-byte labels, and keeps the first probe under which a block is valid.
 */
export function selectIndex(area: Uint8Array): IndexSelection {
  let fallback: IndexSelection | undefined;
  for (const size of LABEL_SIZES) {
    const layout = labelAreaLayout(area.length, size);
    if (!layout) continue;
    const blocks = [checkIndexBlock(area, 0, layout), checkIndexBlock(area, 1, layout)] as const;
    const sel = choose(layout, blocks);
    if (sel.current >= 0) return sel;
    // Report the failures under the label size the blocks themselves declare.
    if (!fallback || blocks.some((b) => b.declaredLabelSize === size)) fallback = sel;
  }
  if (fallback) return fallback;
  const empty = (copy: 0 | 1): IndexBlockReport => ({ copy, offset: 0, valid: false, reasons: [] });
  return {
    blocks: [empty(0), empty(1)], current: -1, why: "the area is too small to hold index blocks and 4 labels",
    reasons: [reason("area.too-small", `a ${area.length}-byte label area cannot hold two index blocks and 4 labels`, { bytes: area.length })],
  };
}

function choose(layout: LabelAreaLayout, blocks: readonly [IndexBlockReport, IndexBlockReport]): IndexSelection {
  const [a, b] = blocks;
  if (a.valid && b.valid) {
    const sa = a.fields!.seq, sb = b.fields!.seq;
    const best = bestSeq(sa, sb);
    const current = best === (sb & SEQ_MASK) ? 1 : 0;
    const why = sa === sb
      ? `both blocks valid with equal seq ${sa}; Linux takes block 1`
      : `both blocks valid; seq ${current === 0 ? sa : sb} follows seq ${current === 0 ? sb : sa} (best_seq)`;
    return { layout, blocks, current, why, reasons: [] };
  }
  if (a.valid || b.valid) {
    const current = a.valid ? 0 : 1;
    const other = blocks[1 - current]!;
    return { layout, blocks, current, why: `only block ${current} is valid (block ${1 - current}: ${other.reasons.map((x) => x.code).join(", ")})`, reasons: [] };
  }
  const allZero = blocks.every((x) => x.reasons[0]?.code === "index.signature");
  return {
    layout, blocks, current: -1,
    why: allZero ? "no index block has a signature: the DIMM is label-less" : "neither index block is valid: Linux treats the DIMM as label-less",
    reasons: [reason("area.no-valid-index", allZero ? "no namespace index signature (label-less DIMM)" : "no valid namespace index block")],
  };
}

export function hex64(x: bigint): string {
  return "0x" + x.toString(16).padStart(16, "0");
}

export type { LabelSize };
