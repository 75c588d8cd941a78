// Type 7: Platform Capabilities Structure (ACPI 6.2a+). QEMU emits it only with
// -machine nvdimm-persistence=.
import { defineStruct, type Record_ } from "../struct.js";
import { assert } from "../reasons.js";
import { NfitType, body, describeFields, tagged, type SubtableCodec } from "./subtable.js";

export const PlatformCapabilities = defineStruct({
  name: "nfit_platform_capabilities",
  size: 16,
  spec: "ACPI 6.4 §5.2.25.9",
  fields: [
    { name: "type", offset: 0, kind: "u16" },
    { name: "length", offset: 2, kind: "u16" },
    { name: "highestCapability", offset: 4, kind: "u8", spec: "highest capability bit that is valid" },
    { name: "reserved", offset: 5, size: 3, kind: "reserved" },
    { name: "capabilities", offset: 8, kind: "u32", spec: "bit 0 CPU cache flush, bit 1 memory controller flush, bit 2 mirroring" },
    { name: "reserved1", offset: 12, size: 4, kind: "reserved" },
  ],
} as const);

export const NFIT_CAP_CPU_CACHE_FLUSH = 1 << 0;
export const NFIT_CAP_MEM_CTRL_FLUSH = 1 << 1;
export const NFIT_CAP_MIRRORING = 1 << 2;

export type NfitPlatformCapabilities = Omit<Record_<typeof PlatformCapabilities.fields>, "type" | "length"> & {
  kind: "platform-capabilities";
  type: typeof NfitType.platformCapabilities;
  length?: number;
};

export function nfitPlatformCapabilities(init: Partial<Omit<NfitPlatformCapabilities, "kind" | "type">> = {}): NfitPlatformCapabilities {
  return { ...body(PlatformCapabilities.zero()), ...init, kind: "platform-capabilities", type: NfitType.platformCapabilities };
}

export const platformCapabilitiesCodec: SubtableCodec<NfitPlatformCapabilities> = {
  type: NfitType.platformCapabilities,
  code: "caps",
  title: "Platform Capabilities",
  decode(sub) {
    if (sub.length !== PlatformCapabilities.size) return { problem: `platform capabilities must be ${PlatformCapabilities.size} bytes`, expected: String(PlatformCapabilities.size) };
    return { value: tagged(PlatformCapabilities.decode(sub), "platform-capabilities", NfitType.platformCapabilities) };
  },
  encode(s) {
    assert((s.length ?? PlatformCapabilities.size) === PlatformCapabilities.size, `platform capabilities length must be ${PlatformCapabilities.size}`);
    return PlatformCapabilities.encode({ ...s, type: NfitType.platformCapabilities, length: PlatformCapabilities.size });
  },
  describe: (s) => describeFields(PlatformCapabilities, s),
};
