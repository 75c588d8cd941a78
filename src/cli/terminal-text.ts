// Text from media or a guest (label and namespace names, signatures, OEM
// ids, error details that quote them) is data, not terminal commands: a
// label name holding `ESC ] 0 ; … BEL` would retitle the user's terminal,
// a CSI sequence would move the cursor or hide lines, and a bidi override
// would make a table lie. Every such string passes through `termText` (a
// message through `termLines`) before it reaches the terminal; --json and
// the API keep the exact value.

// C0, DEL and C1 (Cc), format characters such as bidi overrides and
// zero-width ones (Cf), line and paragraph separators, lone surrogates, and
// the backslash itself, so that an escape in the output is never ambiguous.
const UNSAFE = /[\\\p{Cc}\p{Cf}\p{Zl}\p{Zp}\p{Cs}]/gu;
const CONTROL = /[\p{Cc}\p{Cf}\p{Zl}\p{Zp}\p{Cs}]/gu;

function escape(c: string): string {
  if (c === "\\") return "\\\\";
  const cp = c.codePointAt(0)!;
  const hex = cp.toString(16);
  return cp < 0x100 ? `\\x${hex.padStart(2, "0")}` : cp < 0x10000 ? `\\u${hex.padStart(4, "0")}` : `\\u{${hex}}`;
}

/** Printable ASCII but the backslash: nothing to escape, one column each. */
const PLAIN = /^[\x20-\x5b\x5d-\x7e]*$/;

/** `s` with every control, format or invisible character shown as `\xHH`, `\uHHHH` or `\u{HHHHH}`, and `\` as `\\`. */
export function termText(s: string): string {
  // Most cells of a table are plain; the Unicode-property pattern costs more, the first time above all.
  return PLAIN.test(s) ? s : s.replace(UNSAFE, escape);
}

/**
 * For a message (an error, a warning): each line with its control and
 * format characters escaped as `termText` does; the line breaks stay, and
 * so do backslashes, because messages already quote what they name
 * JSON-style (`holds "\u00e4"`) and doubling them would mislead.
 */
export function termLines(s: string): string {
  return s.split("\n").map((l) => l.replace(CONTROL, escape)).join("\n");
}

// East Asian Wide and Fullwidth (UAX #11), the common ranges: Hangul Jamo,
// CJK, kana, Hangul syllables, compatibility ideographs, fullwidth forms and
// the emoji blocks terminals draw two columns wide.
const WIDE: readonly (readonly [number, number])[] = [
  [0x1100, 0x115f], [0x231a, 0x231b], [0x2329, 0x232a], [0x23e9, 0x23ec], [0x23f0, 0x23f0], [0x23f3, 0x23f3],
  [0x25fd, 0x25fe], [0x2614, 0x2615], [0x2648, 0x2653], [0x267f, 0x267f], [0x2693, 0x2693], [0x26a1, 0x26a1],
  [0x26aa, 0x26ab], [0x26bd, 0x26be], [0x26c4, 0x26c5], [0x26ce, 0x26ce], [0x26d4, 0x26d4], [0x26ea, 0x26ea],
  [0x26f2, 0x26f3], [0x26f5, 0x26f5], [0x26fa, 0x26fa], [0x26fd, 0x26fd], [0x2705, 0x2705], [0x270a, 0x270b],
  [0x2728, 0x2728], [0x274c, 0x274c], [0x274e, 0x274e], [0x2753, 0x2755], [0x2757, 0x2757], [0x2795, 0x2797],
  [0x27b0, 0x27b0], [0x27bf, 0x27bf], [0x2b1b, 0x2b1c], [0x2b50, 0x2b50], [0x2b55, 0x2b55],
  [0x2e80, 0x303e], [0x3041, 0x33ff], [0x3400, 0x4dbf], [0x4e00, 0x9fff], [0xa000, 0xa4cf], [0xa960, 0xa97f],
  [0xac00, 0xd7a3], [0xf900, 0xfaff], [0xfe10, 0xfe19], [0xfe30, 0xfe6f], [0xff00, 0xff60], [0xffe0, 0xffe6],
  [0x16fe0, 0x16fe4], [0x17000, 0x18cff], [0x1b000, 0x1b2ff], [0x1f004, 0x1f004], [0x1f0cf, 0x1f0cf],
  [0x1f18e, 0x1f18e], [0x1f191, 0x1f19a], [0x1f200, 0x1f265], [0x1f300, 0x1f320], [0x1f32d, 0x1f335],
  [0x1f337, 0x1f37c], [0x1f37e, 0x1f393], [0x1f3a0, 0x1f3ca], [0x1f3cf, 0x1f3d3], [0x1f3e0, 0x1f3f0],
  [0x1f3f4, 0x1f3f4], [0x1f3f8, 0x1f43e], [0x1f440, 0x1f440], [0x1f442, 0x1f4fc], [0x1f4ff, 0x1f53d],
  [0x1f54b, 0x1f54e], [0x1f550, 0x1f567], [0x1f57a, 0x1f57a], [0x1f595, 0x1f596], [0x1f5a4, 0x1f5a4],
  [0x1f5fb, 0x1f64f], [0x1f680, 0x1f6c5], [0x1f6cc, 0x1f6cc], [0x1f6d0, 0x1f6d2], [0x1f6d5, 0x1f6d7],
  [0x1f6eb, 0x1f6ec], [0x1f6f4, 0x1f6fc], [0x1f7e0, 0x1f7eb], [0x1f90c, 0x1f93a], [0x1f93c, 0x1f945],
  [0x1f947, 0x1f9ff], [0x1fa70, 0x1faff], [0x20000, 0x2fffd], [0x30000, 0x3fffd],
];

function isWide(cp: number): boolean {
  let lo = 0, hi = WIDE.length - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    const [a, b] = WIDE[mid]!;
    if (cp < a) hi = mid - 1;
    else if (cp > b) lo = mid + 1;
    else return true;
  }
  return false;
}

const ZERO_WIDTH = /[\p{Mn}\p{Me}\p{Cf}\u200b]/u;

/** Terminal columns of `s` (after `termText`): wide characters take 2, combining marks 0, others 1. */
export function displayWidth(s: string): number {
  if (PLAIN.test(s)) return s.length;
  let w = 0;
  for (const c of s) {
    const cp = c.codePointAt(0)!;
    w += cp < 0x300 ? 1 : ZERO_WIDTH.test(c) ? 0 : isWide(cp) ? 2 : 1;
  }
  return w;
}

/** `s` padded with spaces to `width` columns. */
export function padEndColumns(s: string, width: number): string {
  return s + " ".repeat(Math.max(0, width - displayWidth(s)));
}
