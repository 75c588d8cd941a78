// Where things sit in a namespace label storage area (FORMATS.md §5; Linux
// drivers/nvdimm/label.c: nvdimm_num_label_slots, sizeof_namespace_index).

export const INDEX_HEADER_BYTES = 72;
/** Index blocks are padded to a multiple of 256 bytes (NSINDEX_ALIGN). */
export const INDEX_ALIGN = 256;
export const LABEL_SIZES = [128, 256] as const;
export type LabelSize = (typeof LABEL_SIZES)[number];
/** Linux refuses an area that cannot hold at least 4 labels. */
export const MIN_SLOTS = 4;
/**
 * Label areas are below 2 GiB. Linux reads the area whole into one kvzalloc'd
 * buffer (drivers/nvdimm/dimm.c), and kvmalloc refuses more than INT_MAX
 * bytes; vnvdimm reads it whole too.
 */
export const LABEL_AREA_LIMIT_BYTES = 2 ** 31;

export interface LabelAreaLayout {
  readonly configSizeBytes: number;
  readonly labelSizeBytes: LabelSize;
  /** S: the size of each index block, header plus free bitmap, padded. */
  readonly indexSizeBytes: number;
  readonly nslot: number;
  /** Label slots start at 2S. */
  readonly labelOffsetBytes: number;
}

function indexSizeFor(nslot: number): number {
  return Math.ceil((INDEX_HEADER_BYTES + Math.ceil(nslot / 8)) / INDEX_ALIGN) * INDEX_ALIGN;
}

/**
 * The layout Linux derives for an area of `configSizeBytes` holding labels of
 * `labelSizeBytes`, or undefined when the area is too small (fewer than 4
 * slots, or two index blocks plus the slots do not fit).
 */
export function labelAreaLayout(configSizeBytes: number, labelSizeBytes: LabelSize): LabelAreaLayout | undefined {
  if (!Number.isSafeInteger(configSizeBytes) || configSizeBytes <= 0) return undefined;
  const tmpSlots = Math.floor(configSizeBytes / labelSizeBytes);
  const n = indexSizeFor(tmpSlots) / INDEX_ALIGN;
  const nslot = Math.floor((configSizeBytes - 2 * INDEX_ALIGN * n) / labelSizeBytes);
  if (nslot < MIN_SLOTS) return undefined;
  const indexSizeBytes = indexSizeFor(nslot);
  if (2 * indexSizeBytes > configSizeBytes - nslot * labelSizeBytes) return undefined;
  return { configSizeBytes, labelSizeBytes, indexSizeBytes, nslot, labelOffsetBytes: 2 * indexSizeBytes };
}

/** Byte offset of label slot `slot` within the area. */
export function slotOffset(layout: LabelAreaLayout, slot: number): number {
  return layout.labelOffsetBytes + slot * layout.labelSizeBytes;
}
