// Widths of a DIMM's segments along its bar: proportional to pages, except
// that no segment is drawn narrower than `minFraction` of the bar. A 16 MiB
// management area or a one-page reservation record beside 8 GiB of data would
// otherwise be invisible. The width the small ones gain is taken from the
// large ones in proportion to their size.

export interface Span {
  /** Fractions of the bar, 0..1. */
  left: number;
  width: number;
}

export function layoutSpans(sizes: readonly number[], minFraction: number): Span[] {
  const n = sizes.length;
  if (n === 0) return [];
  const min = Math.min(minFraction, 1 / n);
  const total = sizes.reduce((a, b) => a + Math.max(0, b), 0);
  const widths = new Array<number>(n).fill(0);
  const pinned = new Array<boolean>(n).fill(false);
  // Pinning a segment at the minimum shrinks the rest, which may push another
  // below it, so repeat until no segment falls under.
  for (;;) {
    const freeShare = 1 - min * pinned.filter(Boolean).length;
    const freeSize = sizes.reduce((a, s, i) => (pinned[i] ? a : a + Math.max(0, s)), 0);
    let changed = false;
    for (let i = 0; i < n; i++) {
      if (pinned[i]) { widths[i] = min; continue; }
      const w = freeSize > 0 ? (Math.max(0, sizes[i]!) / freeSize) * freeShare : freeShare / n;
      if (w < min) { pinned[i] = true; changed = true; }
      widths[i] = w;
    }
    if (!changed) break;
  }
  if (total === 0) widths.fill(1 / n);
  let left = 0;
  return widths.map((width) => {
    const s = { left, width };
    left += width;
    return s;
  });
}

/** Where page `mfn` of a segment lies along the bar, as a fraction, at the centre of the page. */
export function pageAt(span: Span, segSmfn: number, segPages: number, mfn: number): number {
  if (segPages <= 0) return span.left;
  return span.left + span.width * ((mfn - segSmfn + 0.5) / segPages);
}
