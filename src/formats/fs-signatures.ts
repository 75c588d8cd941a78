// Signatures of data a namespace may hold, so that nothing claims a namespace
// that is in use. Offsets are from each format's superblock definition.

export interface FoundSignature {
  readonly kind: "ext2/3/4" | "xfs" | "btrfs" | "swap" | "mbr" | "gpt";
  readonly offset: number;
}

const ascii = (b: Uint8Array, at: number, text: string) =>
  at + text.length <= b.length && [...text].every((c, i) => b[at + i] === c.charCodeAt(0));
const u16 = (b: Uint8Array, at: number) => (at + 2 <= b.length ? b[at]! | (b[at + 1]! << 8) : -1);

/** Looks at the first bytes of a namespace (≥ 68 KiB to see btrfs). */
export function findFilesystemSignatures(head: Uint8Array): FoundSignature[] {
  const out: FoundSignature[] = [];
  if (u16(head, 1080) === 0xef53) out.push({ kind: "ext2/3/4", offset: 1080 }); // s_magic at superblock (1024) + 56
  if (ascii(head, 0, "XFSB")) out.push({ kind: "xfs", offset: 0 });
  if (ascii(head, 0x10040, "_BHRfS_M")) out.push({ kind: "btrfs", offset: 0x10040 });
  if (ascii(head, 4086, "SWAPSPACE2")) out.push({ kind: "swap", offset: 4086 });
  if (ascii(head, 512, "EFI PART")) out.push({ kind: "gpt", offset: 512 });
  else if (u16(head, 510) === 0xaa55) out.push({ kind: "mbr", offset: 510 });
  return out;
}

/** Bytes to read for findFilesystemSignatures. */
export const FS_SIGNATURE_PROBE_BYTES = 0x10048;
