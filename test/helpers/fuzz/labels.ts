// Fuzz targets: the S1 (v1.1), S2 (v1.2) and S3 (zeroed) 128 KiB label areas.
import {
  GUIDS, IndexBlockHeader, LabelV11, LabelV12, guidToBytes, indexSignatureBytes, labelAreaLayout, labelChecksum,
  qemuDimmCookies, readLabelArea, sealIndex, selectIndex, slotOffset, type LabelRegion,
} from "../../../src/formats/index.js";
import { FIXTURE_REGION_BYTES, fixtureBytes } from "../fixtures.js";
import { writeInt, spotsOf, type FieldSpot, type Fixup, type Span } from "./mutate.js";
import { checkReasons, decoder, type Decoder, type FuzzTarget } from "./target.js";

/** Index blocks and the first labels live here; the rest of the area gets sparse flips only. */
const HEAD = 4096;
const cookies = qemuDimmCookies(0);
const pmGuid = guidToBytes(GUIDS.spaPersistentMemory);

const REGIONS: readonly LabelRegion[] = [
  { nmappings: 1, position: 0, mappingDpa: 0n, mappingSizeBytes: FIXTURE_REGION_BYTES, cookies, typeGuid: pmGuid },
  { nmappings: 1, position: 0, mappingDpa: 0n, cookies, typeGuid: pmGuid },
  { nmappings: 2, position: 1, mappingDpa: 0x10_0000n, mappingSizeBytes: 0x400_0000n, cookies, typeGuid: pmGuid },
];

function indexValues(S: number, nslot: number, areaBytes: number): Record<string, readonly (number | bigint | Uint8Array)[]> {
  const sig = indexSignatureBytes();
  const offs = [0n, BigInt(S), BigInt(2 * S), BigInt(2 * S - 1), BigInt(2 * S + 1), BigInt(areaBytes)];
  return {
    sig: [sig, sig.map((b, i) => (i === 14 ? 0x59 : b))],
    flags: [Uint8Array.of(1, 0, 0)],
    labelsize: [0, 1, 2, 3, 7, 24, 25, 31, 32],
    seq: [0, 1, 2, 3, 4, 5, 7],
    myoff: offs, otheroff: offs, labeloff: offs,
    mysize: [0n, 71n, 72n, BigInt(S - 1), BigInt(S), BigInt(S + 1)],
    // nslot overflow: past this layout, past the other label size's, past what the bitmap holds.
    nslot: [0, 1, 3, 4, 5, nslot - 1, nslot, nslot + 1, 509, 510, 511, 1019, 1020, 1021, 1024, (S - 72) * 8, (S - 72) * 8 + 1, 0x1_0000],
    major: [0, 1, 2], minor: [0, 1, 2, 3],
  };
}

function labelValues(uuids: readonly Uint8Array[], nslot: number): Record<string, readonly (number | bigint | Uint8Array)[]> {
  const region = FIXTURE_REGION_BYTES;
  const dpas = [0n, 4096n, 0x20_0000n, 0xc00_0000n, region - 4096n, region, region + 1n];
  return {
    uuid: [...uuids, new Uint8Array(16)],
    name: [new Uint8Array(64).fill(0x41), new Uint8Array(64).fill(0xff)],
    flags: [0, 1, 2, 4, 8, 0xf],
    nlabel: [0, 1, 2], position: [0, 1, 2],
    isetcookie: [cookies.v11, cookies.v12, 0n],
    lbasize: [0n, 512n, 520n, 4096n],
    dpa: dpas, rawsize: dpas,
    slot: [0, 1, 2, 3, 4, 5, 6, 7, 8, nslot - 1, nslot],
    align: [0, 1, 0xff],
    typeGuid: [pmGuid, guidToBytes(GUIDS.spaVolatile)],
    abstractionGuid: [GUIDS.abstractionBtt, GUIDS.abstractionBtt2, GUIDS.abstractionPfn, GUIDS.abstractionDax].map(guidToBytes),
  };
}

function labelTarget(c: "S1" | "S2" | "S3", runs: number): FuzzTarget {
  const base = fixtureBytes(c, "dimm0.label-area.bin");
  const sel = selectIndex(base);
  // S3 is zeroed: mutate it as if it held v1.1 labels, so field edits land where a signature would go.
  const layout = sel.layout ?? labelAreaLayout(base.length, 128)!;
  const { indexSizeBytes: S, labelSizeBytes, nslot } = layout;
  const L = labelSizeBytes === 128 ? LabelV11 : LabelV12;
  const report = readLabelArea(base, REGIONS[0]!);
  const uuids = [...report.active, ...report.stale].map((s) => s.label.uuid);
  const fields: FieldSpot[] = [];
  const spans: Span[] = [];
  for (const copy of [0, 1]) {
    const at = copy * S;
    fields.push(...spotsOf(IndexBlockHeader, at, `index${copy}`, indexValues(S, nslot, base.length)));
    fields.push({ name: `index${copy}.free`, at: at + IndexBlockHeader.size, size: Math.ceil(nslot / 8), int: false, values: [0, 0xff] });
    spans.push({ at, size: S });
  }
  const slotsInHead = Math.floor((HEAD - layout.labelOffsetBytes) / labelSizeBytes);
  for (let slot = 0; slot < slotsInHead; slot++) {
    const at = slotOffset(layout, slot);
    fields.push(...spotsOf(L, at, `slot${slot}`, labelValues(uuids, nslot)));
    spans.push({ at, size: labelSizeBytes });
  }
  const fixups: Fixup[] = [0, 1].map((copy) => ({
    name: `seal index${copy}`, p: 0.6,
    apply(b: Uint8Array) {
      if (b.length < (copy + 1) * S) return false;
      sealIndex(b, copy * S, S);
      return true;
    },
  }));
  if (labelSizeBytes === 256) {
    fixups.push({
      name: "seal labels", p: 0.6,
      apply(b) {
        for (let slot = 0; slot < slotsInHead && slotOffset(layout, slot) + 256 <= b.length; slot++) {
          const at = slotOffset(layout, slot);
          writeInt(b, at + LabelV12.offsetOf("checksum"), 8, labelChecksum(b, at));
        }
        return true;
      },
    });
  }
  const cuts = [0, 1, 72, 255, 256, 511, 512, 513, 1023, 1024, 1535, 2048, 4096, 8192, 65536, 131071, base.length - labelSizeBytes];
  return { name: `labels/${c}`, runs, base, plan: { head: HEAD, fields, spans, cuts, fixups }, decoders: labelDecoders(), sampleEvery: 32 };
}

function labelDecoders(): Decoder[] {
  return [
    decoder({
      name: "readLabelArea",
      call: (input, variant) => readLabelArea(input, REGIONS[variant % REGIONS.length]!),
      check(r, _input, _deep, variant) {
        const region = REGIONS[variant % REGIONS.length]!;
        if (r.labelled !== r.selection.current >= 0) return `labelled ${r.labelled} but current ${r.selection.current}`;
        if (!r.labelled && r.namespaces.length > 0) return "namespaces without a valid index";
        const end = region.mappingSizeBytes === undefined ? undefined : region.mappingDpa + region.mappingSizeBytes;
        const bad = (r.available ?? []).find((e) => e.sizeBytes <= 0n || e.dpa < region.mappingDpa || (end !== undefined && e.dpa + e.sizeBytes > end));
        if (bad) return `available extent ${bad.dpa}+${bad.sizeBytes} is empty or outside the mapping`;
        return checkReasons(r.reasons, "readLabelArea");
      },
    }),
    decoder({
      name: "selectIndex",
      call: selectIndex,
      check(s) {
        if (s.current >= 0 && !s.blocks[s.current as 0 | 1].valid) return `current block ${s.current} is not valid`;
        return checkReasons([...s.reasons, ...s.blocks.flatMap((b) => b.reasons)], "selectIndex");
      },
    }),
  ];
}

export function labelTargets(scale: number): FuzzTarget[] {
  return [labelTarget("S1", Math.round(3000 * scale)), labelTarget("S2", Math.round(3500 * scale)), labelTarget("S3", Math.round(6000 * scale))];
}
