// Type 6: Flush Hint Address Structure: a header, then hintCount u64 addresses.
import { defineStruct, type Record_ } from "../struct.js";
import { assert } from "../reasons.js";
import { hex } from "../units.js";
import { NfitType, body, describeFields, type SubtableCodec } from "./subtable.js";

export const FlushHintHeader = defineStruct({
  name: "nfit_flush_hint",
  size: 16,
  spec: "ACPI 6.4 §5.2.25.8",
  fields: [
    { name: "type", offset: 0, kind: "u16" },
    { name: "length", offset: 2, kind: "u16", spec: "16 + 8 × hintCount" },
    { name: "deviceHandle", offset: 4, kind: "u32", spec: "the memdev's NFIT device handle" },
    { name: "hintCount", offset: 8, kind: "u16" },
    { name: "reserved", offset: 10, size: 6, kind: "reserved" },
  ],
} as const);

export const FlushHintAddress = defineStruct({
  name: "nfit_flush_hint_address",
  size: 8,
  spec: "ACPI 6.4 §5.2.25.8: Flush Hint Address, repeated hintCount times",
  fields: [{ name: "hintAddress", offset: 0, kind: "u64" }],
} as const);

export type NfitFlushHint = Omit<Record_<typeof FlushHintHeader.fields>, "type" | "length" | "hintCount"> & {
  kind: "flush-hint";
  type: typeof NfitType.flushHint;
  length?: number;
  /** hintCount is derived from this on encode. */
  hintAddresses: bigint[];
};

export function nfitFlushHint(init: Partial<Omit<NfitFlushHint, "kind" | "type">> = {}): NfitFlushHint {
  const { hintCount: _n, ...rest } = body(FlushHintHeader.zero());
  return { ...rest, hintAddresses: [], ...init, kind: "flush-hint", type: NfitType.flushHint };
}

export const flushHintCodec: SubtableCodec<NfitFlushHint> = {
  type: NfitType.flushHint,
  code: "flush",
  title: "Flush Hint Address",
  decode(sub) {
    if (sub.length < FlushHintHeader.size) return { problem: `flush hint is shorter than its ${FlushHintHeader.size}-byte header`, expected: `${FlushHintHeader.size} + 8 × hintCount` };
    const { hintCount, ...head } = FlushHintHeader.decode(sub);
    const expected = FlushHintHeader.size + FlushHintAddress.size * hintCount;
    if (sub.length !== expected) return { problem: `flush hint with ${hintCount} addresses must be ${expected} bytes`, expected: String(expected) };
    const hintAddresses: bigint[] = [];
    for (let at = FlushHintHeader.size; at < sub.length; at += FlushHintAddress.size) hintAddresses.push(FlushHintAddress.decode(sub, at).hintAddress);
    return { value: { ...head, hintAddresses, kind: "flush-hint", type: NfitType.flushHint } };
  },
  encode(s) {
    const length = FlushHintHeader.size + FlushHintAddress.size * s.hintAddresses.length;
    assert((s.length ?? length) === length, `flush hint length ${s.length} does not match ${s.hintAddresses.length} addresses`);
    const out = new Uint8Array(length);
    FlushHintHeader.encode({ ...s, type: NfitType.flushHint, length, hintCount: s.hintAddresses.length }, out);
    s.hintAddresses.forEach((hintAddress, i) => FlushHintAddress.encode({ hintAddress }, out, FlushHintHeader.size + i * FlushHintAddress.size));
    return out;
  },
  describe: (s) => ({ ...describeFields(FlushHintHeader, { ...s, hintCount: s.hintAddresses.length }), hintAddresses: s.hintAddresses.map((a) => hex(a)) }),
};
