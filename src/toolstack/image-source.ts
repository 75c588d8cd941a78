// image= files: opened and checked before anything is allocated, then
// streamed into the namespace's data area in bounded chunks, so a 4 GiB image
// costs a few MiB of memory and keeps the host DIMM file as sparse as the
// image is.
import { closeSync, constants, fstatSync, openSync, readSync, realpathSync } from "node:fs";
import { isAbsolute, relative, resolve } from "node:path";
import type { Media } from "../media/index.js";
import { zeroRange } from "../media/index.js";
import { ProvisionError } from "./provision-error.js";
import { fileDataRanges, type DataRange } from "./image-extents.js";

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

/** An open, checked image file; the caller closes it. */
export interface ImageSource {
  readonly name: string;
  readonly sizeBytes: bigint;
  readonly fd: number;
  close(): void;
}

/** Bytes moved per read and per zero check: the whole memory cost of a copy, whatever the image's size. */
export const IMAGE_CHUNK_BYTES = 4 << 20;
/** The host file's block: the unit in which a zero run is left unwritten. */
const BLOCK_BYTES = 4096;
const ZEROS = Buffer.alloc(IMAGE_CHUNK_BYTES);

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

const mib = (b: bigint) => `${(Number(b) / 2 ** 20).toFixed(b % (1n << 20n) === 0n ? 0 : 1)} MiB`;

/**
 * Opens an image, bounded: a regular file only (fstat after the open; a FIFO,
 * a device such as /dev/zero or a directory is refused), and no larger than
 * `maxBytes`, checked before anything is allocated. Reads nothing yet.
 */
export function openImage(image: string, policy: ImagePolicy, maxBytes: bigint, sizeToFit?: (bytes: bigint) => bigint | undefined): ImageSource {
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
    // bigint: sizes past 2^53 and the 2 GiB of a single read stay exact.
    const st = fstatSync(fd, { bigint: true });
    if (!st.isFile()) throw new ProvisionError("provision.image", `Cannot read image ${image}: not a regular file`, "give image= a filesystem image file, e.g. one made with mkfs.ext4");
    if (st.size > maxBytes) {
      const fit = sizeToFit?.(st.size);
      throw new ProvisionError("provision.image", `Image ${image} is ${st.size} bytes, larger than the ${maxBytes}-byte data area of its namespace (${mib(st.size)} > ${mib(maxBytes)})`,
        `use a smaller image, or ${fit === undefined ? "a larger size=" : `size=${fit >> 20n}M or more`} (the info block and its page map take about 1.6% of a namespace)`);
    }
    let closed = false;
    return { name: image, sizeBytes: st.size, fd, close: () => { if (!closed) { closed = true; closeSync(fd); } } };
  } catch (err) {
    closeSync(fd);
    throw err;
  }
}

/** Reads exactly `length` bytes at `pos`, or says the image shrank under us. */
function readFully(src: ImageSource, buf: Buffer, length: number, pos: number): void {
  let done = 0;
  while (done < length) {
    let n: number;
    try { n = readSync(src.fd, buf, done, length - done, pos + done); } catch (err) {
      throw new ProvisionError("provision.image", `Cannot read image ${src.name} at byte ${pos + done}: ${(err as NodeJS.ErrnoException).code ?? String(err)}`, "check the image file and its disk; nothing was labelled, and the pages were zeroed and freed");
    }
    if (n === 0) {
      throw new ProvisionError("provision.image", `Image ${src.name} changed while it was copied: it ends at byte ${pos + done}, not ${src.sizeBytes}`, "do not change an image while a domain is created from it; nothing was labelled, and the pages were zeroed and freed");
    }
    done += n;
  }
}

const isZero = (buf: Buffer, start: number, end: number) => ZEROS.compare(buf, start, end, 0, end - start) === 0;

/** What a copy did: bytes read from the image, and written to the media (the rest stays a hole). */
export interface StreamStats { readBytes: bigint; writtenBytes: bigint }

export interface StreamOptions {
  /** Hears each chunk copied (crash points). */
  onChunk?: () => void;
  /** Where the image may hold data; by default asked of the kernel, else all of it. */
  ranges?: readonly DataRange[];
}

/**
 * Copies the image to [offset, offset + sizeBytes) of `media`, a chunk at a
 * time, writing only its blocks that are not all zeros and reading only the
 * ranges that may hold data. Free pages do not always read as zero (a
 * reservation made with --force over old data keeps it), so the whole range
 * is zeroed first: one hole punched in a sparse file, or zeros written where
 * the media is not zero already. The caller flushes.
 */
export function streamImage(src: ImageSource, media: Media, offset: bigint, o: StreamOptions = {}): StreamStats {
  const size = Number(src.sizeBytes);
  const ranges = o.ranges ?? fileDataRanges(src.fd, size) ?? [{ offset: 0, length: size }];
  zeroRange(media, offset, src.sizeBytes);
  const buf = Buffer.allocUnsafe(IMAGE_CHUNK_BYTES);
  let written = 0, read = 0;
  for (const r of ranges) {
    for (let pos = r.offset; pos < r.offset + r.length; pos += IMAGE_CHUNK_BYTES) {
      const n = Math.min(IMAGE_CHUNK_BYTES, r.offset + r.length - pos);
      readFully(src, buf, n, pos);
      read += n;
      // Block by block, so an ext4's scattered metadata writes a few KiB, not whole chunks.
      const blockEnd = (at: number) => Math.min(at + BLOCK_BYTES, n);
      for (let b = isZero(buf, 0, n) ? n : 0; b < n;) {
        if (isZero(buf, b, blockEnd(b))) { b = blockEnd(b); continue; }
        let d = blockEnd(b);
        while (d < n && !isZero(buf, d, blockEnd(d))) d = blockEnd(d);
        media.write(offset + BigInt(pos + b), buf.subarray(b, d));
        written += d - b;
        b = d;
      }
      o.onChunk?.();
    }
  }
  return { readBytes: BigInt(read), writtenBytes: BigInt(written) };
}
