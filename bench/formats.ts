// Format codec benchmarks: a 128 KiB label area and a 64-DIMM NFIT, each
// decoded and validated, against a plain Buffer copy of the same bytes.
import { Buffer } from "node:buffer";
import { readFileSync } from "node:fs";
import {
  GUIDS, QEMU_NFIT_HEADER, decodeNfit, encodeNfit, guidToBytes, qemuDimmCookies, qemuNfitStructures, readLabelArea,
  validateNfit, type LabelRegion, type QemuNvdimm,
} from "../src/formats/index.js";
import { consume, measurePair, type MeasureOptions } from "./measure.js";
import { nsPerOp, ratioText, type BenchRow } from "./table.js";

/** Compiled to dist/bench; the fixtures stay in test/data. */
const S2_LABEL_AREA = new URL("../../test/data/fixtures/S2-v1.2-four-namespaces/dimm0.label-area.bin", import.meta.url);

/** The fixtures' one DIMM: 256 MiB minus the 128 KiB label area, QEMU slot 0. */
const S2_REGION: LabelRegion = {
  nmappings: 1, position: 0, mappingDpa: 0n, mappingSizeBytes: 268304384n,
  cookies: qemuDimmCookies(0), typeGuid: guidToBytes(GUIDS.spaPersistentMemory),
};

const DIMMS = 64;

function qemuNfit64(): Uint8Array {
  const dimms: QemuNvdimm[] = Array.from({ length: DIMMS }, (_, slot) => ({
    slot, addr: 0x1_0000_0000n + BigInt(slot) * 0x1000_0000n, sizeBytes: 0xffe_0000n, node: 0,
  }));
  return encodeNfit({ header: QEMU_NFIT_HEADER, structures: qemuNfitStructures(dimms) });
}

function row(figure: string, bytes: number, t: ReturnType<typeof measurePair>): BenchRow {
  return {
    figure,
    value: nsPerOp(t.opNs),
    baseline: `${nsPerOp(t.baselineNs)} (Buffer.from, ${bytes} B)`,
    ratio: ratioText(t.ratio),
  };
}

export async function benchFormats(opts: MeasureOptions = {}): Promise<BenchRow[]> {
  const area = new Uint8Array(readFileSync(S2_LABEL_AREA));
  const report = readLabelArea(area, S2_REGION);
  if (report.namespaces.length !== 4 || report.reasons.length !== 0) throw new Error("bench: the S2 label area no longer decodes to its 4 namespaces");
  const labels = measurePair(
    () => consume(readLabelArea(area, S2_REGION).namespaces.length),
    () => consume(Buffer.from(area).length),
    opts,
  );

  const nfit = qemuNfit64();
  if (validateNfit(nfit).length !== 0 || decodeNfit(nfit).structures.length !== 3 * DIMMS) throw new Error("bench: the 64-DIMM NFIT does not validate");
  const tables = measurePair(
    () => consume(decodeNfit(nfit).structures.length + validateNfit(nfit).length),
    () => consume(Buffer.from(nfit).length),
    opts,
  );

  return [
    row("readLabelArea: 128 KiB v1.2 label area (S2), index + 510 slots + 4 namespaces", area.length, labels),
    row(`decodeNfit + validateNfit: QEMU NFIT of ${DIMMS} DIMMs`, nfit.length, tables),
  ];
}
