// Type 2: Interleave Structure: a fixed header, then lineCount u32 line offsets.
import { defineStruct, type Record_ } from "../struct.js";
import { assert } from "../reasons.js";
import { NfitType, body, describeFields, type SubtableCodec } from "./subtable.js";

export const InterleaveHeader = defineStruct({
  name: "nfit_interleave",
  size: 16,
  spec: "ACPI 6.4 §5.2.25.4",
  fields: [
    { name: "type", offset: 0, kind: "u16" },
    { name: "length", offset: 2, kind: "u16", spec: "16 + 4 × lineCount" },
    { name: "interleaveIndex", offset: 4, kind: "u16" },
    { name: "reserved", offset: 6, size: 2, kind: "reserved" },
    { name: "lineCount", offset: 8, kind: "u32" },
    { name: "lineSize", offset: 12, kind: "u32" },
  ],
} as const);

export const InterleaveLine = defineStruct({
  name: "nfit_interleave_line",
  size: 4,
  spec: "ACPI 6.4 §5.2.25.4: Line Offset, repeated lineCount times",
  fields: [{ name: "lineOffset", offset: 0, kind: "u32" }],
} as const);

export type NfitInterleave = Omit<Record_<typeof InterleaveHeader.fields>, "type" | "length" | "lineCount"> & {
  kind: "interleave";
  type: typeof NfitType.interleave;
  length?: number;
  /** lineCount is derived from this on encode. */
  lineOffsets: number[];
};

export function nfitInterleave(init: Partial<Omit<NfitInterleave, "kind" | "type">> = {}): NfitInterleave {
  const { lineCount: _n, ...rest } = body(InterleaveHeader.zero());
  return { ...rest, lineOffsets: [], ...init, kind: "interleave", type: NfitType.interleave };
}

export const interleaveCodec: SubtableCodec<NfitInterleave> = {
  type: NfitType.interleave,
  code: "interleave",
  title: "Interleave Info",
  decode(sub) {
    if (sub.length < InterleaveHeader.size) return { problem: `interleave is shorter than its ${InterleaveHeader.size}-byte header`, expected: `${InterleaveHeader.size} + 4 × lineCount` };
    const { lineCount, ...head } = InterleaveHeader.decode(sub);
    const expected = InterleaveHeader.size + InterleaveLine.size * lineCount;
    if (sub.length !== expected) return { problem: `interleave with ${lineCount} lines must be ${expected} bytes`, expected: String(expected) };
    const lineOffsets: number[] = [];
    for (let at = InterleaveHeader.size; at < sub.length; at += InterleaveLine.size) lineOffsets.push(InterleaveLine.decode(sub, at).lineOffset);
    return { value: { ...head, lineOffsets, kind: "interleave", type: NfitType.interleave } };
  },
  encode(s) {
    const length = InterleaveHeader.size + InterleaveLine.size * s.lineOffsets.length;
    assert((s.length ?? length) === length, `interleave length ${s.length} does not match ${s.lineOffsets.length} lines`);
    const out = new Uint8Array(length);
    InterleaveHeader.encode({ ...s, type: NfitType.interleave, length, lineCount: s.lineOffsets.length }, out);
    s.lineOffsets.forEach((lineOffset, i) => InterleaveLine.encode({ lineOffset }, out, InterleaveHeader.size + i * InterleaveLine.size));
    return out;
  },
  describe: (s) => ({ ...describeFields(InterleaveHeader, { ...s, lineCount: s.lineOffsets.length }), lineOffsets: [...s.lineOffsets] }),
};
