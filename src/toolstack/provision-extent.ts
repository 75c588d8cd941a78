// Pre-provisioning one freshly allocated extent (DESIGN.md step 7): labels
// into its label pages and info blocks (and an image) into its data pages,
// on the host media, before the guest's first boot. Runs once per extent.
import { randomUUID } from "node:crypto";
import { FormatError, assert, namespaceGeometry, planProvision, rawTextToBytes, selectIndex } from "../formats/index.js";
import { PAGE_BYTES, type MediaResolver } from "../hypervisor/index.js";
import { zeroRange } from "../media/index.js";
import type { SizedVnvdimmLike } from "./extent-spec.js";
import type { LedgerExtent } from "./ledger.js";
import { openImage, streamImage, type ImagePolicy, type ImageSource } from "./image-source.js";
import { ProvisionError } from "./provision-error.js";

export { ProvisionError } from "./provision-error.js";
export { IMAGE_CHUNK_BYTES, type ImagePolicy } from "./image-source.js";

const PAGE = BigInt(PAGE_BYTES);

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

/**
 * Everything a provisioning will write, planned and validated before a byte
 * lands. An image is open but not read: applyProvision streams it, and
 * closes it (as does `close`, for a provisioning that never applies).
 */
export interface PreparedProvision {
  windows: ReturnType<typeof extentWindows> & { label: NonNullable<ReturnType<typeof extentWindows>["label"]> };
  plan: ReturnType<typeof planProvision>;
  image?: ImageSource;
  close(): void;
}

/** Closes every prepared image; for a transaction that stops before it applies them all. */
export function closeProvisions(ps: readonly (PreparedProvision | undefined)[]): void {
  for (const p of ps) p?.close();
}

const NS_STEP = 16n << 20n;

/** The smallest `size=` (a 16 MiB multiple, as Linux sizes namespaces) whose data area holds `bytes`: for the hint of a refusal. */
function sizeToFit(ns: Parameters<typeof namespaceGeometry>[0], labels: "1.1" | "1.2", bytes: bigint): bigint | undefined {
  const fits = (steps: bigint) => {
    try { return namespaceGeometry({ ...ns, sizeBytes: steps * NS_STEP }, labels, 0n).capacityBytes >= bytes; } catch { return false; }
  };
  // The info block and page map take under 2%, so twice the image plus a step always fits.
  let lo = 1n, hi = (bytes * 2n) / NS_STEP + 2n;
  if (!fits(hi)) return undefined;
  while (lo < hi) {
    const mid = (lo + hi) / 2n;
    if (fits(mid)) hi = mid; else lo = mid + 1n;
  }
  return lo * NS_STEP;
}

/** Opens the image and plans the writes; throws (ProvisionError, FormatError) without writing anything. */
export function prepareProvision(media: MediaResolver, e: LedgerExtent, spec: SizedVnvdimmLike, images: ImagePolicy = "any"): PreparedProvision | undefined {
  const ns = spec.namespace;
  if (!ns) return undefined;
  const w = extentWindows(media, e);
  if (!w.label) return undefined;
  const labels = ns.labels === "v1.1" ? "1.1" : "1.2";
  const namespace = {
    mode: ns.mode, ...(ns.name ? { name: ns.name } : {}), dpa: 0n, sizeBytes: (w.dataBytes / (16n << 20n)) * (16n << 20n),
    ...(ns.mode === "sector" ? { sectorSize: ns.sectorSize } : {}),
    ...((ns.mode === "fsdax" || ns.mode === "devdax") ? { align: Number(ns.alignBytes) } : {}),
  };
  let image: ImageSource | undefined;
  if (ns.mode === "fsdax" && ns.image) {
    // The bound comes before the read: an image too large for its namespace allocates nothing.
    let capacity = namespace.sizeBytes;
    try { capacity = namespaceGeometry(namespace, labels, 0n).capacityBytes; } catch (err) {
      if (!(err instanceof FormatError)) throw err;
      // planProvision says what is wrong with the namespace.
    }
    image = openImage(ns.image, images, capacity, (bytes) => sizeToFit(namespace, labels, bytes));
  }
  try {
    const plan = planProvision({
      labelAreaBytes: Number(w.labelBytes), labels, slot: e.slot, mappingSizeBytes: w.dataBytes,
      namespaces: [{ ...namespace, ...(image ? { image: { sizeBytes: image.sizeBytes } } : {}) }],
      newUuid: () => rawTextToBytes(randomUUID()),
    });
    return { windows: { ...w, label: w.label }, plan, ...(image ? { image } : {}), close: () => image?.close() };
  } catch (err) {
    image?.close();
    throw err;
  }
}

/**
 * Writes a prepared provisioning: data first, labels last, so until the
 * labels land the guest sees no namespace and so no half-made one. Throws
 * (ProvisionError when the image cannot be read to its end) with no label
 * written; the caller then scrubs the extent, which may hold part of the image.
 * `onStep` hears "image" after each chunk of an image and "data" once all data is durable.
 */
export function applyProvision(p: PreparedProvision | undefined, onStep?: (what: string) => void): void {
  if (!p) return;
  const { windows: w, plan } = p;
  try {
    // Written, not punched: a few KiB, and the fault-injection media count every write.
    for (const z of plan.zeroFills) zeroRange(w.data.media, w.data.offset + z.dpa, z.sizeBytes, { noDiscard: true });
    for (const d of plan.dataWrites) w.data.media.write(w.data.offset + d.dpa, d.bytes);
    for (const c of plan.imageCopies) {
      assert(p.image !== undefined && c.sizeBytes === p.image.sizeBytes, "an image copy is planned only for the image opened");
      streamImage(p.image, w.data.media, w.data.offset + c.dpa, { onChunk: () => onStep?.("image") });
    }
  } finally {
    p.close();
  }
  w.data.media.flush();
  onStep?.("data");
  for (const l of plan.labelWrites) w.label.media.write(w.label.offset + BigInt(l.offset), l.bytes);
  w.label.media.flush();
}
