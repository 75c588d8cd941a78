// The usual MediaResolver: a list of media, each holding the SPA range
// [spaBase, spaBase + media size − mediaOffset) from mediaOffset on (a host
// DIMM file holds its pmem range from offset 0, its label area after it).
import type { Media } from "../media/index.js";
import type { MediaResolver } from "./setup.js";

export interface MediaSpan {
  readonly spaBase: bigint;
  readonly media: Media;
  /** Where spaBase lies in the media; 0 by default. */
  readonly mediaOffset?: bigint;
  /** Bytes of SPA the media holds; the rest of the media by default. */
  readonly sizeBytes?: bigint;
}

export function mediaResolver(spans: readonly MediaSpan[]): MediaResolver {
  return (spa, sizeBytes) => {
    for (const s of spans) {
      const off = s.mediaOffset ?? 0n;
      const size = s.sizeBytes ?? s.media.sizeBytes - off;
      if (spa >= s.spaBase && spa + sizeBytes <= s.spaBase + size) return { media: s.media, offset: off + (spa - s.spaBase) };
    }
    return undefined;
  };
}
