// Type 3: SMBIOS Management Information Structure: a header, then opaque SMBIOS data.
import { defineStruct, type Record_ } from "../struct.js";
import { assert } from "../reasons.js";
import { NfitType, body, bytesHex, describeFields, type SubtableCodec } from "./subtable.js";

export const SmbiosHeader = defineStruct({
  name: "nfit_smbios",
  size: 8,
  spec: "ACPI 6.4 §5.2.25.5",
  fields: [
    { name: "type", offset: 0, kind: "u16" },
    { name: "length", offset: 2, kind: "u16", spec: "8 + data bytes" },
    { name: "reserved", offset: 4, size: 4, kind: "reserved" },
  ],
} as const);

export type NfitSmbios = Omit<Record_<typeof SmbiosHeader.fields>, "type" | "length"> & {
  kind: "smbios";
  type: typeof NfitType.smbios;
  length?: number;
  /** SMBIOS table entries, kept as bytes. */
  data: Uint8Array;
};

export function nfitSmbios(init: Partial<Omit<NfitSmbios, "kind" | "type">> = {}): NfitSmbios {
  return { ...body(SmbiosHeader.zero()), data: new Uint8Array(0), ...init, kind: "smbios", type: NfitType.smbios };
}

export const smbiosCodec: SubtableCodec<NfitSmbios> = {
  type: NfitType.smbios,
  code: "smbios",
  title: "SMBIOS Information",
  decode(sub) {
    if (sub.length < SmbiosHeader.size) return { problem: `SMBIOS structure is shorter than its ${SmbiosHeader.size}-byte header`, expected: `≥ ${SmbiosHeader.size}` };
    return { value: { ...SmbiosHeader.decode(sub), data: sub.slice(SmbiosHeader.size), kind: "smbios", type: NfitType.smbios } };
  },
  encode(s) {
    const length = SmbiosHeader.size + s.data.length;
    assert((s.length ?? length) === length, `SMBIOS length ${s.length} does not match ${s.data.length} data bytes`);
    const out = new Uint8Array(length);
    SmbiosHeader.encode({ ...s, type: NfitType.smbios, length }, out);
    out.set(s.data, SmbiosHeader.size);
    return out;
  },
  describe: (s) => ({ ...describeFields(SmbiosHeader, s), smbiosTableEntries: bytesHex(s.data) }),
};
