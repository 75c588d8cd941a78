// A content hash of a media, to prove that an operation wrote nothing (or
// nothing outside a range). Zero chunks are skipped, so a sparse store hashes
// in time proportional to its data, not its size.
import { createHash } from "node:crypto";
import { MediaError } from "./errors.js";
import { isZero } from "./memory-media.js";
import type { Media } from "./media.js";

export interface HashOptions {
  /** Hash only [offset, offset + length); the whole media by default. */
  offset?: bigint;
  length?: bigint;
  /** Read granule. The hash depends on it, so compare hashes made with the same value. */
  chunkBytes?: number;
}

/**
 * sha256 over (range, then each nonzero aligned chunk as its offset and its
 * bytes). Two media with the same bytes in the range hash alike whatever
 * their holes, because an all-zero chunk contributes nothing either way.
 * Stores that report dataRanges are read only there; others (sparse files:
 * Node has no SEEK_DATA) are read chunk by chunk, fine for test-sized files.
 */
export function hashMedia(media: Media, options: HashOptions = {}): string {
  const start = options.offset ?? 0n;
  const end = options.length === undefined ? media.sizeBytes : start + options.length;
  const chunk = BigInt(options.chunkBytes ?? 1024 * 1024);
  if (start < 0n || end > media.sizeBytes || start > end || chunk <= 0n) {
    throw new MediaError("media.bounds", `cannot hash [${start}, ${end}) of a ${media.sizeBytes}-byte media`, { offset: String(start), end: String(end) });
  }
  const h = createHash("sha256");
  h.update(`vnvdimm-media-hash ${start} ${end} ${chunk}\n`);
  const visit = (from: bigint, to: bigint): void => {
    // Chunks are aligned on multiples of `chunk` from `start`, whichever path found them.
    let at = from - ((from - start) % chunk);
    if (at < start) at = start;
    for (; at < to; at += chunk) {
      const n = at + chunk < end ? chunk : end - at;
      const bytes = media.read(at, Number(n));
      if (isZero(bytes)) continue;
      const head = new DataView(new ArrayBuffer(8));
      head.setBigUint64(0, at, true);
      h.update(new Uint8Array(head.buffer));
      h.update(bytes);
    }
  };
  const ranges = media.dataRanges?.();
  if (ranges === undefined) {
    visit(start, end);
  } else {
    let done = start;
    for (const r of ranges) {
      const from = r.offset > done ? r.offset : done;
      const to = r.offset + r.length < end ? r.offset + r.length : end;
      if (from >= to) continue;
      const aligned = from - ((from - start) % chunk);
      visit(aligned > done ? aligned : done, to);
      done = alignEnd(to, start, chunk, end);
    }
  }
  return h.digest("hex");
}

function alignEnd(to: bigint, start: bigint, chunk: bigint, end: bigint): bigint {
  const rem = (to - start) % chunk;
  const up = rem === 0n ? to : to + (chunk - rem);
  return up < end ? up : end;
}
