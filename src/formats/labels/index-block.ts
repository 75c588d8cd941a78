// The namespace index block (UEFI 2.7 §13.19; Linux nd_namespace_index).
import { defineStruct, type Record_ } from "../struct.js";
import { fletcher64 } from "../fletcher64.js";
import type { LabelAreaLayout } from "./layout.js";

export const INDEX_SIGNATURE = "NAMESPACE_INDEX";

export const IndexBlockHeader = defineStruct({
  name: "nd_namespace_index",
  size: 72,
  spec: "UEFI 2.7 §13.19 Table 13-9; Linux drivers/nvdimm/label.h",
  fields: [
    { name: "sig", offset: 0, size: 16, kind: "bytes", spec: "\"NAMESPACE_INDEX\\0\"" },
    { name: "flags", offset: 16, size: 3, kind: "bytes", spec: "must be 0" },
    { name: "labelsize", offset: 19, kind: "u8", spec: "label bytes = 1 << (7 + labelsize), from v1.2" },
    { name: "seq", offset: 20, kind: "u32", spec: "1, 2 or 3" },
    { name: "myoff", offset: 24, kind: "u64" },
    { name: "mysize", offset: 32, kind: "u64" },
    { name: "otheroff", offset: 40, kind: "u64" },
    { name: "labeloff", offset: 48, kind: "u64" },
    { name: "nslot", offset: 56, kind: "u32" },
    { name: "major", offset: 60, kind: "u16" },
    { name: "minor", offset: 62, kind: "u16", spec: "1 → 128-byte labels, 2 → 256-byte labels" },
    { name: "checksum", offset: 64, kind: "u64", spec: "Fletcher64 over the whole block (S bytes)" },
  ],
} as const);

export type IndexBlockFields = Record_<typeof IndexBlockHeader.fields>;

const SIG_BYTES = (() => {
  const b = new Uint8Array(16);
  for (let i = 0; i < INDEX_SIGNATURE.length; i++) b[i] = INDEX_SIGNATURE.charCodeAt(i);
  return b;
})();

export function indexSignatureBytes(): Uint8Array {
  return SIG_BYTES.slice();
}

export function hasIndexSignature(area: Uint8Array, offset: number): boolean {
  if (offset + 16 > area.length) return false;
  for (let i = 0; i < 16; i++) if (area[offset + i] !== SIG_BYTES[i]) return false;
  return true;
}

/** The checksum of the S-byte index block at `offset`, its own field read as zero. */
export function indexChecksum(area: Uint8Array, offset: number, indexSizeBytes: number): bigint {
  return fletcher64(area, offset, indexSizeBytes, IndexBlockHeader.offsetOf("checksum"));
}

/** A slot is free when its bit is 1 (LSB first). */
export function isSlotFree(area: Uint8Array, indexOffset: number, slot: number): boolean {
  const byte = area[indexOffset + IndexBlockHeader.size + (slot >> 3)] ?? 0;
  return ((byte >> (slot & 7)) & 1) === 1;
}

export function setSlotFree(area: Uint8Array, indexOffset: number, slot: number, free: boolean): void {
  const at = indexOffset + IndexBlockHeader.size + (slot >> 3);
  const bit = 1 << (slot & 7);
  area[at] = free ? area[at]! | bit : area[at]! & ~bit;
}

/** Slots in use (bit 0) below nslot, in ascending order. */
export function usedSlots(area: Uint8Array, indexOffset: number, nslot: number): number[] {
  const out: number[] = [];
  for (let s = 0; s < nslot; s++) if (!isSlotFree(area, indexOffset, s)) out.push(s);
  return out;
}

/**
 * Writes index block `i` of a fresh area into `area`: every slot free, as
 * `ndctl init-labels` does. ndctl sets the bitmap bits up to ALIGN(nslot, 64)
 * and, unlike the kernel, does not clear the ones past nslot; we match ndctl.
 */
export function writeFreshIndex(area: Uint8Array, layout: LabelAreaLayout, i: 0 | 1, seq: number): void {
  const off = i * layout.indexSizeBytes;
  area.fill(0, off, off + layout.indexSizeBytes);
  IndexBlockHeader.encode({
    sig: indexSignatureBytes(),
    labelsize: layout.labelSizeBytes >> 8,
    seq,
    myoff: BigInt(off),
    mysize: BigInt(layout.indexSizeBytes),
    otheroff: BigInt((1 - i) * layout.indexSizeBytes),
    labeloff: BigInt(layout.labelOffsetBytes),
    nslot: layout.nslot,
    major: 1,
    minor: layout.labelSizeBytes === 128 ? 1 : 2,
  }, area, off);
  const bitmapBytes = Math.ceil(layout.nslot / 64) * 8;
  area.fill(0xff, off + IndexBlockHeader.size, off + IndexBlockHeader.size + bitmapBytes);
  sealIndex(area, off, layout.indexSizeBytes);
}

/** Recomputes and stores the checksum of the index block at `offset`. */
export function sealIndex(area: Uint8Array, offset: number, indexSizeBytes: number): void {
  const sum = indexChecksum(area, offset, indexSizeBytes);
  new DataView(area.buffer, area.byteOffset, area.byteLength).setBigUint64(offset + IndexBlockHeader.offsetOf("checksum"), sum, true);
}
