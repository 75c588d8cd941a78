// Pre-provisioning one freshly allocated extent (DESIGN.md step 7): labels
// into its label pages and info blocks (and an image) into its data pages,
// on the host media, before the guest's first boot. Runs once per extent.
import { closeSync, constants, fstatSync, openSync, readSync, realpathSync } from "node:fs";
import { randomUUID } from "node:crypto";
import { isAbsolute, relative, resolve } from "node:path";
import { FormatError, namespaceGeometry, planProvision, rawTextToBytes, selectIndex } from "../formats/index.js";
import { PAGE_BYTES, type MediaResolver } from "../hypervisor/index.js";
import { zeroRange } from "../media/index.js";
import type { SizedVnvdimmLike } from "./extent-spec.js";
import type { LedgerExtent } from "./ledger.js";

const PAGE = BigInt(PAGE_BYTES);

export class ProvisionError extends Error {
  constructor(readonly code: "provision.foreign-labels" | "provision.media" | "provision.image" | "provision.image-denied", message: string, readonly hint?: string) {
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

/**
 * Where image= files may come from. "any": any regular file the caller can
 * read (the CLI, which runs as its caller). `relativeTo`: the same, for a CLI
 * on the host's Unix socket (only the host's own user can connect), a
 * relative path meaning one in the CLI's working directory. Otherwise only a
 * regular file inside `dir` (the HTTP API, which reads as the daemon's user
 * on behalf of a client), and none when no images directory was configured.
 */
export type ImagePolicy = "any" | { relativeTo: string } | { dir: string | undefined };

const readsAny = (p: ImagePolicy): p is "any" | { relativeTo: string } => p === "any" || "relativeTo" in p;

/** The path to open for `image`, confined by `policy`: realpath, and no `..` or symlink out of the images directory. */
function imagePath(image: string, policy: ImagePolicy): string {
  if (policy === "any") return image;
  if ("relativeTo" in policy) return resolve(policy.relativeTo, image);
  if (policy.dir === undefined) {
    throw new ProvisionError("provision.image-denied", `This daemon reads no image= files (image=${image})`, "start it with `vnvdimm up --images DIR`, put the image in DIR, and name it image=FILE");
  }
  const outside = () => new ProvisionError("provision.image-denied", `image=${image} is outside the images directory ${policy.dir}`, `put the image in ${policy.dir} and name it by its path there`);
  let dir: string, real: string;
  try { dir = realpathSync(policy.dir); } catch {
    throw new ProvisionError("provision.image", `The images directory ${policy.dir} is gone`, "restart `vnvdimm up --images DIR` with a directory that exists");
  }
  const inside = (p: string) => {
    const rel = relative(dir, p);
    return rel !== "" && !rel.startsWith("..") && !isAbsolute(rel);
  };
  const named = resolve(dir, image);
  try { real = realpathSync(named); } catch {
    // Whether a path outside exists is none of the client's business: it only hears "outside".
    if (inside(named)) throw new ProvisionError("provision.image", `Cannot read image ${image}: no such file in ${policy.dir}`, "check the image= path");
    throw outside();
  }
  if (!inside(real)) throw outside();
  return real;
}

/**
 * An image file, read whole and bounded: a regular file only (fstat after the
 * open; a FIFO, a device such as /dev/zero or a directory is refused), and no
 * larger than `maxBytes`, checked before anything is allocated.
 */
function readImage(image: string, policy: ImagePolicy, maxBytes: bigint): Uint8Array {
  const path = imagePath(image, policy);
  let fd: number;
  try {
    // O_NONBLOCK: opening a FIFO must not wait for a writer. O_NOFOLLOW: the confined path was resolved already.
    fd = openSync(path, constants.O_RDONLY | constants.O_NONBLOCK | (readsAny(policy) ? 0 : constants.O_NOFOLLOW));
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new ProvisionError("provision.image", `Cannot read image ${image}: ${code === "ENOENT" ? "no such file" : code === "EACCES" ? "permission denied" : code ?? "unreadable"}`, "check the image= path in the config");
  }
  try {
    const st = fstatSync(fd);
    if (!st.isFile()) throw new ProvisionError("provision.image", `Cannot read image ${image}: not a regular file`, "give image= a filesystem image file, e.g. one made with mkfs.ext4");
    if (BigInt(st.size) > maxBytes) {
      throw new ProvisionError("provision.image", `Image ${image} is ${st.size} bytes, larger than the ${maxBytes}-byte data area of its namespace`, "use a smaller image, or a larger size=");
    }
    const out = new Uint8Array(st.size);
    let done = 0;
    while (done < out.length) {
      const n = readSync(fd, out, done, out.length - done, done);
      if (n === 0) break;
      done += n;
    }
    return out.subarray(0, done);
  } finally {
    closeSync(fd);
  }
}

/** Reads the image and plans the writes; throws (ProvisionError, FormatError) without writing anything. */
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
  let image: { bytes: Uint8Array } | undefined;
  if (ns.mode === "fsdax" && ns.image) {
    // The bound comes before the read: an image too large for its namespace allocates nothing.
    let capacity = namespace.sizeBytes;
    try { capacity = namespaceGeometry(namespace, labels, 0n).capacityBytes; } catch (err) {
      if (!(err instanceof FormatError)) throw err;
      // planProvision says what is wrong with the namespace.
    }
    image = { bytes: readImage(ns.image, images, capacity) };
  }
  const plan = planProvision({
    labelAreaBytes: Number(w.labelBytes), labels, slot: e.slot, mappingSizeBytes: w.dataBytes,
    namespaces: [{ ...namespace, ...(image ? { image } : {}) }],
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
