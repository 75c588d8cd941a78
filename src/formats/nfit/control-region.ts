// Type 4: NVDIMM Control Region Structure ("DCR"): the DIMM's identity.
import { defineStruct, type Record_ } from "../struct.js";
import { assert } from "../reasons.js";
import { NfitType, body, decodePadded, tagged, describeFields, encodeShortened, type SubtableCodec } from "./subtable.js";

export const ControlRegion = defineStruct({
  name: "nfit_control_region",
  size: 80,
  spec: "ACPI 6.4 §5.2.25.6",
  fields: [
    { name: "type", offset: 0, kind: "u16" },
    { name: "length", offset: 2, kind: "u16" },
    { name: "regionIndex", offset: 4, kind: "u16" },
    { name: "vendorId", offset: 6, kind: "u16", spec: "Linux names the DIMM from be16(vendor)-be32(serial)" },
    { name: "deviceId", offset: 8, kind: "u16" },
    { name: "revisionId", offset: 10, kind: "u16" },
    { name: "subsystemVendorId", offset: 12, kind: "u16" },
    { name: "subsystemDeviceId", offset: 14, kind: "u16" },
    { name: "subsystemRevisionId", offset: 16, kind: "u16" },
    { name: "validFields", offset: 18, kind: "u8", spec: "bit 0: manufacturing location and date are valid" },
    { name: "manufacturingLocation", offset: 19, kind: "u8" },
    { name: "manufacturingDate", offset: 20, kind: "u16" },
    { name: "reserved", offset: 22, size: 2, kind: "reserved" },
    { name: "serialNumber", offset: 24, kind: "u32" },
    { name: "code", offset: 28, kind: "u16", spec: "region format interface code, e.g. 0x301 byte-addressable" },
    { name: "windowCount", offset: 30, kind: "u16", spec: "block control windows; 0 means the rest is absent in Linux's eyes" },
    { name: "windowSize", offset: 32, kind: "u64" },
    { name: "commandOffset", offset: 40, kind: "u64" },
    { name: "commandSize", offset: 48, kind: "u64" },
    { name: "statusOffset", offset: 56, kind: "u64" },
    { name: "statusSize", offset: 64, kind: "u64" },
    { name: "flags", offset: 72, kind: "u16", spec: "bit 0: block data windows buffered" },
    { name: "reserved1", offset: 74, size: 6, kind: "reserved" },
  ],
} as const);

/** Linux's sizeof_dcr(): with no block windows only the fields before windowSize count. */
export const CONTROL_REGION_SHORT_LENGTH = ControlRegion.offsetOf("windowSize");

export type NfitControlRegion = Omit<Record_<typeof ControlRegion.fields>, "type" | "length"> & {
  kind: "control-region";
  type: typeof NfitType.controlRegion;
  /** 80, or 32 for the short form (windowCount 0); absent means 80. */
  length?: number;
};

export function nfitControlRegion(init: Partial<Omit<NfitControlRegion, "kind" | "type">> = {}): NfitControlRegion {
  return { ...body(ControlRegion.zero()), ...init, kind: "control-region", type: NfitType.controlRegion };
}

// Linux accepts any length ≥ 32 but reads 80 bytes when windowCount ≠ 0; we
// accept the two lengths that round-trip exactly: the spec's 80 and the short 32.
function lengthOk(length: number, windowCount: number): boolean {
  return length === ControlRegion.size || (length === CONTROL_REGION_SHORT_LENGTH && windowCount === 0);
}

export const controlRegionCodec: SubtableCodec<NfitControlRegion> = {
  type: NfitType.controlRegion,
  code: "dcr",
  title: "NVDIMM Control Region",
  decode(sub) {
    const rec = decodePadded(ControlRegion, sub);
    if (!lengthOk(sub.length, rec.windowCount)) {
      return { problem: `control region must be ${ControlRegion.size} bytes, or ${CONTROL_REGION_SHORT_LENGTH} with no block windows`, expected: `${ControlRegion.size} or ${CONTROL_REGION_SHORT_LENGTH}` };
    }
    return { value: tagged(rec, "control-region", NfitType.controlRegion) };
  },
  encode(s) {
    const length = s.length ?? ControlRegion.size;
    assert(lengthOk(length, s.windowCount), `control region length ${length} with ${s.windowCount} windows`);
    return encodeShortened(ControlRegion.encode({ ...s, type: NfitType.controlRegion, length }), length, "control region");
  },
  describe(s) {
    const d = describeFields(ControlRegion, s);
    if (s.length === CONTROL_REGION_SHORT_LENGTH) {
      for (const f of ControlRegion.fields) if (f.offset >= CONTROL_REGION_SHORT_LENGTH) delete d[f.name];
    }
    return d;
  },
};
