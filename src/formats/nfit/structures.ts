// The NFIT sub-structure union and the dispatch from type number to codec.
import { assert } from "../reasons.js";
import { NfitSubtableHeader, bytesHex, type SubtableCodec } from "./subtable.js";
import { spaRangeCodec, type NfitSpaRange } from "./spa-range.js";
import { memdevCodec, type NfitMemdev } from "./memdev.js";
import { interleaveCodec, type NfitInterleave } from "./interleave.js";
import { smbiosCodec, type NfitSmbios } from "./smbios.js";
import { controlRegionCodec, type NfitControlRegion } from "./control-region.js";
import { blockDataWindowCodec, type NfitBlockDataWindow } from "./block-data-window.js";
import { flushHintCodec, type NfitFlushHint } from "./flush-hint.js";
import { platformCapabilitiesCodec, type NfitPlatformCapabilities } from "./platform-capabilities.js";

/**
 * A sub-structure whose type is unknown or whose length is wrong for its
 * type, kept byte for byte (header included) so the table still re-encodes.
 */
export interface NfitRawStructure {
  kind: "raw";
  type: number;
  bytes: Uint8Array;
}

/** One NFIT sub-structure, discriminated by `kind` (raw ones keep any `type`). */
export type NfitStructure =
  | NfitSpaRange
  | NfitMemdev
  | NfitInterleave
  | NfitSmbios
  | NfitControlRegion
  | NfitBlockDataWindow
  | NfitFlushHint
  | NfitPlatformCapabilities
  | NfitRawStructure;

const CODECS: readonly SubtableCodec<never>[] = [
  spaRangeCodec, memdevCodec, interleaveCodec, smbiosCodec,
  controlRegionCodec, blockDataWindowCodec, flushHintCodec, platformCapabilitiesCodec,
] as SubtableCodec<never>[];

/** Indexed by type number: the decode loop asks once per sub-structure. */
const BY_TYPE: readonly (SubtableCodec<never> | undefined)[] = CODECS.reduce<(SubtableCodec<never> | undefined)[]>((a, c) => ((a[c.type] = c), a), []);

/** The codec for a type number, or undefined for types ACPI 6.4 does not define. */
export function nfitCodecForType(type: number): SubtableCodec<NfitStructure> | undefined {
  return BY_TYPE[type] as SubtableCodec<NfitStructure> | undefined;
}

/** Encodes one sub-structure, header included. Throws only for programmer errors. */
export function encodeNfitStructure(s: NfitStructure): Uint8Array {
  if (s.kind === "raw") {
    assert(NfitSubtableHeader.fits(s.bytes), "raw NFIT structure shorter than its header");
    const h = NfitSubtableHeader.decode(s.bytes);
    assert(h.type === s.type && h.length === s.bytes.length, `raw NFIT structure header (type ${h.type}, length ${h.length}) disagrees with type ${s.type}, ${s.bytes.length} bytes`);
    return s.bytes.slice();
  }
  const codec = nfitCodecForType(s.type);
  assert(codec !== undefined, `no codec for NFIT type ${s.type}`);
  return codec.encode(s);
}

/** A JSON-friendly view named after `iasl -d`'s fields (see describeFields). */
export function describeNfitStructure(s: NfitStructure): Record<string, unknown> {
  const codec = nfitCodecForType(s.type);
  const head = { subtableType: s.type, subtableName: codec?.title ?? "Unknown" };
  if (s.kind === "raw") return { ...head, length: s.bytes.length, raw: bytesHex(s.bytes) };
  return { ...head, length: s.length ?? encodeNfitStructure(s).length, ...codec!.describe(s) };
}
