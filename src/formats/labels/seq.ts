// Index-block sequence numbers (Linux label.c: nd_inc_seq, best_seq). Valid
// values are 1, 2, 3; they advance 1 → 2 → 3 → 1 so that the newer of two
// blocks can always be told from the older.

export const SEQ_MASK = 3;

export function nextSeq(seq: number): number {
  const s = seq & SEQ_MASK;
  return s === 3 ? 1 : s + 1;
}

/** The newer of two sequence numbers; 0 means "no valid block". */
export function bestSeq(a: number, b: number): number {
  a &= SEQ_MASK;
  b &= SEQ_MASK;
  if (a === 0 || a === b) return b;
  if (b === 0) return a;
  return nextSeq(a) === b ? b : a;
}
