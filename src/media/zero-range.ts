// Scrubbing: making a range of media read as zeros, durably, so that no data
// outlives the domain that wrote it (OpenStack Nova zeroes a vPMEM namespace
// on delete for the same reason).
import type { Media } from "./media.js";

const CHUNK_BYTES = 1 << 20;

export interface ZeroRangeOptions {
  /** Called with bytes done and the total, about once per MiB written. */
  onProgress?: (doneBytes: bigint, totalBytes: bigint) => void;
  /** Never punch holes: write zeros (for tests, and stores that must keep their blocks). */
  noDiscard?: boolean;
}

/**
 * Zeroes [offset, offset + length) of `media` and flushes. A store that can
 * punch holes does so (fast, and a sparse file stays sparse); otherwise zeros
 * are written a MiB at a time, skipping chunks that already read as zero.
 */
export function zeroRange(media: Media, offset: bigint, length: bigint, o: ZeroRangeOptions = {}): "discarded" | "written" {
  if (!o.noDiscard && media.discard?.(offset, length)) {
    o.onProgress?.(length, length);
    return "discarded";
  }
  const zeros = new Uint8Array(CHUNK_BYTES);
  for (let done = 0n; done < length;) {
    const n = Number(length - done < BigInt(CHUNK_BYTES) ? length - done : BigInt(CHUNK_BYTES));
    if (media.read(offset + done, n).some((b) => b !== 0)) media.write(offset + done, n === CHUNK_BYTES ? zeros : zeros.subarray(0, n));
    done += BigInt(n);
    o.onProgress?.(done, length);
  }
  media.flush();
  return "written";
}
