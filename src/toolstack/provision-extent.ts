// Pre-provisioning one freshly allocated extent (DESIGN.md step 7): labels
// into its label pages and info blocks (and an image) into its data pages,
// on the host media, before the guest's first boot. Runs once per extent.
import { readFileSync } from "node:fs";
import { randomUUID } from "node:crypto";
import { planProvision, rawTextToBytes, selectIndex } from "../formats/index.js";
import { PAGE_BYTES, type MediaResolver } from "../hypervisor/index.js";
import { zeroRange } from "../media/index.js";
import type { SizedVnvdimmLike } from "./extent-spec.js";
import type { LedgerExtent } from "./ledger.js";

const PAGE = BigInt(PAGE_BYTES);

export class ProvisionError extends Error {
  constructor(readonly code: "provision.foreign-labels" | "provision.media" | "provision.image", message: string, readonly hint?: string) {
    super(message);
    this.name = "ProvisionError";
  }
}

export function extentWindows(media: MediaResolver, e: Pick<LedgerExtent, "smfn" | "nrPages" | "nrLabelPages">) {
  const dataPages = e.nrPages - e.nrLabelPages;
  const data = media(BigInt(e.smfn) * PAGE, BigInt(dataPages) * PAGE);
  const label = e.nrLabelPages ? media(BigInt(e.smfn + dataPages) * PAGE, BigInt(e.nrLabelPages) * PAGE) : undefined;
  if (!data || (e.nrLabelPages && !label)) throw new ProvisionError("provision.media", `no host media behind MFNs 0x${e.smfn.toString(16)}+${e.nrPages}`);
  return { data, label, dataBytes: BigInt(dataPages) * PAGE, labelBytes: BigInt(e.nrLabelPages) * PAGE };
}

/** Refuses an extent whose label area holds labels: they were not written for this domain. */
export function checkNoForeignLabels(media: MediaResolver, e: LedgerExtent, domain: string): void {
  const w = extentWindows(media, e);
  if (!w.label) return;
  const area = w.label.media.read(w.label.offset, Number(w.labelBytes));
  if (selectIndex(area).current >= 0) {
    throw new ProvisionError("provision.foreign-labels", `Extent at MFN 0x${e.smfn.toString(16)} for domain ${domain} already holds namespace labels that vnvdimm did not write for it`, "pass --force to overwrite them (the data they describe is lost)");
  }
}

/** Everything a provisioning will write, planned and validated before a byte lands. */
export interface PreparedProvision {
  windows: ReturnType<typeof extentWindows> & { label: NonNullable<ReturnType<typeof extentWindows>["label"]> };
  plan: ReturnType<typeof planProvision>;
}

/** Reads the image and plans the writes; throws (ProvisionError, FormatError) without writing anything. */
export function prepareProvision(media: MediaResolver, e: LedgerExtent, spec: SizedVnvdimmLike): PreparedProvision | undefined {
  const ns = spec.namespace;
  if (!ns) return undefined;
  const w = extentWindows(media, e);
  if (!w.label) return undefined;
  let image: { bytes: Uint8Array } | undefined;
  if (ns.mode === "fsdax" && ns.image) {
    try { image = { bytes: new Uint8Array(readFileSync(ns.image)) }; } catch {
      throw new ProvisionError("provision.image", `Cannot read image ${ns.image}`, "check the image= path in the config");
    }
  }
  const plan = planProvision({
    labelAreaBytes: Number(w.labelBytes), labels: ns.labels === "v1.1" ? "1.1" : "1.2", slot: e.slot,
    mappingSizeBytes: w.dataBytes,
    namespaces: [{
      mode: ns.mode, ...(ns.name ? { name: ns.name } : {}), dpa: 0n, sizeBytes: (w.dataBytes / (16n << 20n)) * (16n << 20n),
      ...(ns.mode === "sector" ? { sectorSize: ns.sectorSize } : {}),
      ...((ns.mode === "fsdax" || ns.mode === "devdax") ? { align: Number(ns.alignBytes) } : {}),
      ...(image ? { image } : {}),
    }],
    newUuid: () => rawTextToBytes(randomUUID()),
  });
  return { windows: { ...w, label: w.label }, plan };
}

export function applyProvision(p: PreparedProvision | undefined, onStep?: (what: string) => void): void {
  if (!p) return;
  const { windows: w, plan } = p;
  // Data first, labels last: until the labels land, the guest sees no namespace and so no half-made one.
  // Written, not punched: a few KiB, and the fault-injection media count every write.
  for (const z of plan.zeroFills) zeroRange(w.data.media, w.data.offset + z.dpa, z.sizeBytes, { noDiscard: true });
  for (const d of plan.dataWrites) w.data.media.write(w.data.offset + d.dpa, d.bytes);
  w.data.media.flush();
  onStep?.("data");
  for (const l of plan.labelWrites) w.label.media.write(w.label.offset + BigInt(l.offset), l.bytes);
  w.label.media.flush();
}
