// The byte sink AML terms emit into, and the term interface itself
// (DESIGN.md, "AML as small immutable terms").

/** Anything that writes itself as AML bytes. Terms are immutable and may be shared. */
export interface AmlTerm {
  emit(sink: AmlSink): void;
}

/** A growable little-endian byte buffer. */
export class AmlSink {
  #buf = new Uint8Array(256);
  #len = 0;

  get length(): number {
    return this.#len;
  }

  byte(b: number): this {
    if (!Number.isInteger(b) || b < 0 || b > 0xff) throw new RangeError(`AML byte out of range: ${b}`);
    this.#reserve(1);
    this.#buf[this.#len++] = b;
    return this;
  }

  bytes(b: ArrayLike<number>): this {
    this.#reserve(b.length);
    for (let i = 0; i < b.length; i++) this.#buf[this.#len + i] = b[i]!;
    this.#len += b.length;
    return this;
  }

  /** An unsigned integer of `width` bytes, little-endian. The caller has range-checked it. */
  uint(value: bigint, width: number): this {
    this.#reserve(width);
    for (let i = 0; i < width; i++) this.#buf[this.#len + i] = Number((value >> BigInt(8 * i)) & 0xffn);
    this.#len += width;
    return this;
  }

  toBytes(): Uint8Array {
    return this.#buf.slice(0, this.#len);
  }

  #reserve(n: number): void {
    if (this.#len + n <= this.#buf.length) return;
    let cap = this.#buf.length * 2;
    while (cap < this.#len + n) cap *= 2;
    const next = new Uint8Array(cap);
    next.set(this.#buf.subarray(0, this.#len));
    this.#buf = next;
  }
}

/** Wraps an emit function as a frozen term. */
export function term(emit: (sink: AmlSink) => void): AmlTerm {
  return Object.freeze({ emit });
}

/** The bytes of one term or a term list. */
export function encodeAml(terms: AmlTerm | readonly AmlTerm[]): Uint8Array {
  const sink = new AmlSink();
  for (const t of Array.isArray(terms) ? terms : [terms as AmlTerm]) t.emit(sink);
  return sink.toBytes();
}
