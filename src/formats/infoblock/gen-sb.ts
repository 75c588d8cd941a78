// The frame shared by every namespace info block (pfn, dax and btt): 4096
// bytes with a Fletcher64 checksum in the last 8. Linux checksums all three
// through this one struct (drivers/nvdimm/nd.h struct nd_gen_sb,
// nd_sb_checksum), so the checksum offset is declared here once.
import { defineStruct } from "../struct.js";
import { fletcher64 } from "../fletcher64.js";

export const NdGenSb = defineStruct({
  name: "nd_gen_sb",
  size: 4096,
  spec: "Linux drivers/nvdimm/nd.h struct nd_gen_sb; FORMATS.md §6",
  fields: [
    { name: "body", offset: 0, size: 4088, kind: "bytes" },
    { name: "checksum", offset: 4088, kind: "u64", spec: "Fletcher64 over all 4096 bytes, this field read as zero (FORMATS.md §4)" },
  ],
} as const);

/** nd_sb_checksum: the checksum the 4096-byte block at `offset` should carry. */
export function infoBlockChecksum(bytes: Uint8Array, offset = 0): bigint {
  return fletcher64(bytes, offset, NdGenSb.size, NdGenSb.offsetOf("checksum"));
}

/** The checksum stored in the block at `offset`. */
export function storedInfoBlockChecksum(bytes: Uint8Array, offset = 0): bigint {
  return new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength).getBigUint64(offset + NdGenSb.offsetOf("checksum"), true);
}

/** Writes the correct checksum into the block at `offset`, in place, and returns `bytes`. */
export function sealInfoBlock(bytes: Uint8Array, offset = 0): Uint8Array {
  const sum = infoBlockChecksum(bytes, offset);
  new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength).setBigUint64(offset + NdGenSb.offsetOf("checksum"), sum, true);
  return bytes;
}

/** A 16-byte signature field: the ASCII text, NUL-padded, as Linux's PFN_SIG/BTT_SIG. */
export function signatureBytes(text: string): Uint8Array {
  const out = new Uint8Array(16);
  for (let i = 0; i < text.length; i++) out[i] = text.charCodeAt(i);
  return out;
}

/** True when the 16 bytes at `offset` are exactly `sig` (all 16 compared, as Linux's memcmp). */
export function hasSignature(bytes: Uint8Array, offset: number, sig: Uint8Array): boolean {
  if (offset < 0 || offset + sig.length > bytes.length) return false;
  for (let i = 0; i < sig.length; i++) if (bytes[offset + i] !== sig[i]) return false;
  return true;
}
