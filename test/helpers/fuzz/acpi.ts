// Fuzz targets: the NFITs (S1–S3, a QEMU-built 64-DIMM table, one with every
// sub-structure type) and the S3 SSDT and DSDT headers.
import {
  AcpiHeader, BlockDataWindow, ControlRegion, FlushHintHeader, InterleaveHeader, Memdev, NFIT_FIRST_SUBTABLE, NfitPreamble, NfitSubtableHeader,
  PlatformCapabilities, QEMU_NFIT_HEADER, SmbiosHeader, SpaRange, decodeNfit, describeAcpiTable, encodeNfit, fixChecksum,
  nfitBlockDataWindow, nfitControlRegion, nfitFlushHint, nfitInterleave, nfitSmbios,
  qemuNfitStructures, slotToHandle, validateAcpiHeader, validateNfit, type AcpiTableDescription, type DecodedNfit, type FieldDef, type NfitStructure, type QemuNvdimm,
  type StructDef,
} from "../../../src/formats/index.js";
import { fixtureBytes } from "../fixtures.js";
import { spotsOf, writeInt, type FieldSpot, type Fixup, type Poke } from "./mutate.js";
import { checkJson, checkReasons, decoder, type Decoder, type FuzzTarget } from "./target.js";

const STRUCTS: Readonly<Record<NfitStructure["kind"], StructDef<readonly FieldDef[]>>> = {
  "spa": SpaRange, "memdev": Memdev, "interleave": InterleaveHeader, "smbios": SmbiosHeader, "control-region": ControlRegion,
  "block-data-window": BlockDataWindow, "flush-hint": FlushHintHeader, "platform-capabilities": PlatformCapabilities, "raw": NfitSubtableHeader,
};

const ascii = (s: string): Uint8Array => Uint8Array.from(s, (c) => c.charCodeAt(0));

/** A QEMU NFIT of `n` DIMMs, 256 MiB apart from 4 GiB up. */
export function qemuNfit(n: number): Uint8Array {
  const dimms: QemuNvdimm[] = Array.from({ length: n }, (_, slot) => ({ slot, addr: 0x1_0000_0000n + BigInt(slot) * 0x1000_0000n, sizeBytes: 0xffe_0000n, node: slot % 2 }));
  return encodeNfit({ header: QEMU_NFIT_HEADER, structures: qemuNfitStructures(dimms, "cpu") });
}

/** One DIMM plus an example of every sub-structure type QEMU never emits. */
function allTypesNfit(): Uint8Array {
  const structures = qemuNfitStructures([{ slot: 0, addr: 0x1_0000_0000n, sizeBytes: 0xffe_0000n, node: 0 }], "mem-ctrl");
  structures.push(
    nfitInterleave({ interleaveIndex: 1, lineSize: 256, lineOffsets: [0, 1, 2] }),
    nfitSmbios({ data: Uint8Array.of(17, 40, 0, 0x10, 1, 2, 3, 4) }),
    nfitControlRegion({ regionIndex: 9, serialNumber: 0x42, windowCount: 1, windowSize: 8192n, commandOffset: 0n, commandSize: 8n, statusOffset: 8n, statusSize: 4n }),
    nfitBlockDataWindow({ regionIndex: 9, windowCount: 1, offset: 0x2000n, size: 8192n, capacity: 1n << 30n }),
    nfitFlushHint({ deviceHandle: slotToHandle(0), hintAddresses: [0xfed0_0000n, 0xfed0_1000n] }),
  );
  return encodeNfit({ header: QEMU_NFIT_HEADER, structures });
}

function headerSpots(b: Uint8Array, signatures: readonly string[]): FieldSpot[] {
  const n = b.length;
  return spotsOf(AcpiHeader, 0, "header", {
    signature: signatures.map(ascii),
    length: [0, 1, 35, 36, 37, 39, 40, 41, n - 1, n, n + 1, n + 4096],
    revision: [0, 1, 2, 0xff],
  });
}

/** Sets the header length to the bytes given (sometimes) and fixes the checksum (mostly). */
const ACPI_FIXUPS: readonly Fixup[] = [
  {
    name: "fix length", p: 0.4,
    apply(b) {
      if (b.length < 8) return false;
      writeInt(b, AcpiHeader.offsetOf("length"), 4, b.length);
      return true;
    },
  },
  {
    name: "fix checksum", p: 0.7,
    apply(b) {
      if (b.length < AcpiHeader.size) return false;
      fixChecksum(b);
      return true;
    },
  },
];

function checkDescription(d: AcpiTableDescription, _input: Uint8Array, deep: boolean): string | undefined {
  return checkReasons(d.reasons, "describeAcpiTable") ?? (deep ? checkJson(d, "describeAcpiTable") : undefined);
}

/** A walk that found nothing wrong must re-encode the body byte for byte (header text fields are NUL-terminated, so lossy). */
function checkReencode(d: DecodedNfit, input: Uint8Array): string | undefined {
  if (!d.header || d.reasons.length > 0 || d.header.length !== input.length) return undefined;
  const header = { ...d.header, oemId: "", oemTableId: "", aslCompilerId: "" };
  const body = encodeNfit({ header, structures: d.structures }).subarray(NFIT_FIRST_SUBTABLE - NfitPreamble.size);
  const want = input.subarray(NFIT_FIRST_SUBTABLE - NfitPreamble.size);
  return body.length === want.length && body.every((b, i) => b === want[i]) ? undefined : "sub-structures do not re-encode to the bytes they came from";
}

function nfitTarget(name: string, base: Uint8Array, runs: number, describeEvery = 1): FuzzTarget {
  const { structures, offsets } = decodeNfit(base);
  const indexes: Poke[] = [0, 1, 2, 3, 4, 5, 0xffff];
  const handles: Poke[] = [0, 1, 0xffffffff];
  for (const s of structures) {
    if (s.kind === "spa") indexes.push(s.rangeIndex);
    if (s.kind === "memdev") handles.push(s.deviceHandle);
  }
  const subValues: Record<string, readonly Poke[]> = {
    type: [0, 1, 2, 3, 4, 5, 6, 7, 8, 0xffff],
    // Zero-length and short sub-structures, each type's own sizes, and past the end.
    length: [0, 1, 2, 3, 4, 5, 8, 16, 24, 32, 40, 48, 56, 63, 64, 65, 80, 81, 0xffff],
    rangeIndex: indexes, controlRegionIndex: indexes, regionIndex: indexes, interleaveIndex: indexes,
    deviceHandle: handles, windowCount: [0, 1, 2], hintCount: [0, 1, 2, 3], lineCount: [0, 1, 2, 3, 4],
    flags: [0, 1, 2, 4, 7, 8, 0xffff],
  };
  const fields = [...headerSpots(base, ["NFIT", "SSDT", "\0\0\0\0"]), ...spotsOf(NfitPreamble, AcpiHeader.size, "reserved")];
  const spans = structures.map((s, i) => ({ at: offsets[i]!, size: s.kind === "raw" ? s.bytes.length : (s.length ?? 0) }));
  structures.forEach((s, i) => fields.push(...spotsOf(STRUCTS[s.kind], offsets[i]!, `sub${i}.${s.kind}`, subValues, spans[i]!.size)));
  const cuts = [0, 1, 4, 8, 35, 36, 39, 40, 41, 43, 44, ...spans.flatMap((s) => [s.at + 1, s.at + 3, s.at + 4, s.at + s.size - 1])];
  const decoders: Decoder[] = [
    decoder({
      name: "decodeNfit",
      call: decodeNfit,
      check(d, input, deep) {
        if (d.offsets.length !== d.structures.length) return "offsets and structures differ in number";
        if (d.offsets.some((o, i) => o >= input.length || (i > 0 && o <= d.offsets[i - 1]!))) return "offsets are not increasing inside the table";
        return checkReasons(d.reasons, "decodeNfit") ?? (deep ? checkReencode(d, input) : undefined);
      },
    }),
    decoder({ name: "validateNfit", call: validateNfit, check: (rs) => checkReasons(rs, "validateNfit") }),
    decoder({ name: "describeAcpiTable", every: describeEvery, call: describeAcpiTable, check: checkDescription }),
  ];
  return { name, runs, base, plan: { head: base.length, fields, spans, cuts, fixups: ACPI_FIXUPS }, decoders, sampleEvery: 8 };
}

function headerTarget(name: "SSDT" | "DSDT", runs: number): FuzzTarget {
  const base = fixtureBytes("S3", `acpi/${name}.bin`);
  const fields = headerSpots(base, ["SSDT", "DSDT", "NFIT", "\0\0\0\0"]);
  const cuts = [0, 1, 4, 8, 9, 10, 35, 36, 37, 39, 40, base.length - 1];
  const decoders: Decoder[] = [
    decoder({ name: "validateAcpiHeader", call: (input) => validateAcpiHeader(input), check: (rs) => checkReasons(rs, "validateAcpiHeader") }),
    decoder({ name: "validateAcpiHeader", call: (input) => validateAcpiHeader(input, name), check: (rs) => checkReasons(rs, "validateAcpiHeader") }),
    decoder({ name: "describeAcpiTable", call: describeAcpiTable, check: checkDescription }),
  ];
  return { name: `acpi/${name}`, runs, base, plan: { head: base.length, fields, spans: [], cuts, fixups: ACPI_FIXUPS }, decoders, sampleEvery: 8 };
}

export function nfitTargets(scale: number): FuzzTarget[] {
  const n = (x: number) => Math.round(x * scale);
  return [
    ...(["S1", "S2", "S3"] as const).map((c) => nfitTarget(`nfit/${c}`, fixtureBytes(c, "acpi/NFIT.bin"), n(7000))),
    nfitTarget("nfit/all-types", allTypesNfit(), n(6000)),
    nfitTarget("nfit/qemu-64", qemuNfit(64), n(800), 4),
  ];
}

export function headerTargets(scale: number): FuzzTarget[] {
  return [headerTarget("SSDT", Math.round(8000 * scale)), headerTarget("DSDT", Math.round(5000 * scale))];
}
