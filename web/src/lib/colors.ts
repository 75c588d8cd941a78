// Each domain gets a colour of its own, stable across refreshes: picked by a
// hash of its name, moving on to the next free colour when two names collide.
// Red is left out of the palette: it marks broken pages.

export const DOMAIN_PALETTE = [
  "#4e79a7", "#59a14f", "#f28e2b", "#b07aa1", "#76b7b2",
  "#edc948", "#9c755f", "#ff9da7", "#6b6ecf", "#8cd17d",
] as const;

function hash(s: string): number {
  let h = 2166136261;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 16777619);
  return h >>> 0;
}

export function domainColors(names: readonly string[]): Map<string, string> {
  const out = new Map<string, string>();
  const taken = new Set<number>();
  for (const name of [...new Set(names)].sort()) {
    let i = hash(name) % DOMAIN_PALETTE.length;
    // With more domains than colours, colours repeat; the legend still names each.
    for (let tries = 0; taken.has(i) && tries < DOMAIN_PALETTE.length; tries++) i = (i + 1) % DOMAIN_PALETTE.length;
    taken.add(i);
    if (taken.size === DOMAIN_PALETTE.length) taken.clear();
    out.set(name, DOMAIN_PALETTE[i]!);
  }
  return out;
}
