// Mutations for the fuzz tests: byte-level noise plus structure-aware edits
// (a struct's own field table says where each field is), length changes, and
// fix-ups that re-seal checksums so that mutations reach the checks behind them.
import type { FieldDef, StructDef } from "../../../src/formats/index.js";
import type { Prng } from "./prng.js";

export type Poke = number | bigint | Uint8Array;

/** One field at an absolute offset in the input, with values worth trying there. */
export interface FieldSpot {
  readonly name: string;
  readonly at: number;
  readonly size: number;
  readonly int: boolean;
  readonly values: readonly Poke[];
}

/** A record (label slot, sub-structure, entry) that can be copied over or next to another. */
export interface Span {
  readonly at: number;
  readonly size: number;
}

export interface Fixup {
  readonly name: string;
  readonly p: number;
  /** Returns false when it does not apply to this input (for example, it is too short). */
  apply(input: Uint8Array): boolean;
}

export interface MutationPlan {
  /** Edits stay below `head`, and so must fix-ups; past it a large input only gets sparse bit flips. */
  readonly head: number;
  readonly fields: readonly FieldSpot[];
  readonly spans: readonly Span[];
  /** Lengths worth truncating to, besides random ones. */
  readonly cuts: readonly number[];
  readonly fixups: readonly Fixup[];
}

export interface Mutant {
  readonly input: Uint8Array;
  readonly ops: readonly string[];
}

const INT_VALUES: Readonly<Record<number, readonly (number | bigint)[]>> = {
  1: [0, 1, 0x7f, 0x80, 0xfe, 0xff],
  2: [0, 1, 2, 4, 0x7f, 0x80, 0xff, 0x100, 0x7fff, 0x8000, 0xfffe, 0xffff],
  4: [0, 1, 0x7f, 0x80, 0xff, 0xffff, 0x10000, 0x7fffffff, 0x80000000, 0xfffffffe, 0xffffffff],
  8: [0n, 1n, 0xffffffffn, 0x1_0000_0000n, 2n ** 53n - 1n, 2n ** 53n, 2n ** 53n + 1n, 2n ** 63n - 1n, 2n ** 63n, 2n ** 64n - 2n, 2n ** 64n - 1n],
};
const INT_SIZES = [2, 4, 8] as const;
const BYTE_VALUES = [0, 0xff, 0x7f, 0x80] as const;
const WIDTH: Readonly<Record<string, number>> = { u8: 1, u16: 2, u32: 4, u64: 8 };

/** The fields of `S` placed at `at`, named `prefix.field`; `extra` adds values per field name. */
export function spotsOf(S: StructDef<readonly FieldDef[]>, at: number, prefix: string, extra: Readonly<Record<string, readonly Poke[]>> = {}, limit = S.size): FieldSpot[] {
  return S.fields.filter((f) => f.offset < limit).map((f) => {
    const size = S.sizeOf(f.name);
    const int = WIDTH[f.kind] !== undefined;
    return { name: `${prefix}.${f.name}`, at: at + f.offset, size, int, values: [...(int ? INT_VALUES[size]! : []), ...(extra[f.name] ?? [])] };
  });
}

export function writeInt(b: Uint8Array, at: number, size: number, v: number | bigint): void {
  let x = BigInt.asUintN(size * 8, BigInt(v));
  for (let i = 0; i < size && at + i < b.length; i++, x >>= 8n) b[at + i] = Number(x & 0xffn);
}

/** Produces mutated copies of `base`, reusing one work buffer; call `restore` after each use. */
export class Mutator {
  private readonly buf: Uint8Array;
  private readonly tail: number[] = [];

  constructor(readonly base: Uint8Array, readonly plan: MutationPlan) {
    this.buf = Uint8Array.from(base);
  }

  next(rng: Prng): Mutant {
    const ops: string[] = [];
    const edits = 1 + (rng.chance(0.5) ? rng.int(5) : 0);
    for (let i = 0; i < edits; i++) ops.push(this.edit(rng));
    let input: Uint8Array = this.buf;
    if (rng.chance(0.25)) {
      const [out, op] = this.reshape(rng);
      input = out;
      ops.push(op);
    }
    for (const f of this.plan.fixups) if (rng.chance(f.p) && f.apply(input)) ops.push(f.name);
    return { input, ops };
  }

  /** Puts the work buffer back to `base`. */
  restore(): void {
    const { base, buf, plan } = this;
    if (base.length <= 65536) buf.set(base);
    else buf.set(base.subarray(0, plan.head));
    for (const o of this.tail) buf[o] = base[o]!;
    this.tail.length = 0;
  }

  /** True when the work buffer equals `base` again. */
  pristine(): boolean {
    const { base, buf } = this;
    for (let i = 0; i < base.length; i++) if (buf[i] !== base[i]) return false;
    return true;
  }

  private edit(rng: Prng): string {
    const { buf, plan } = this;
    const head = Math.min(plan.head, buf.length);
    const roll = rng.int(100);
    if (roll < 40 && plan.fields.length > 0) return this.field(rng, rng.pick(plan.fields));
    if (roll < 55 || head < 8) {
      const o = rng.int(head);
      const bit = rng.int(8);
      buf[o] = buf[o]! ^ (1 << bit);
      return `flip ${o}.${bit}`;
    }
    if (roll < 65) {
      const o = rng.int(head);
      buf[o] = rng.pick(BYTE_VALUES);
      return `byte ${o}=0x${buf[o]!.toString(16)}`;
    }
    if (roll < 75) {
      const size = rng.pick(INT_SIZES);
      const o = rng.chance(0.5) ? rng.int(Math.floor(head / size)) * size : rng.int(head - size + 1);
      const v = rng.chance(0.8) ? rng.pick(INT_VALUES[size]!) : this.pastEnd(rng);
      writeInt(buf, o, size, v);
      return `u${size * 8} ${o}=${v}`;
    }
    if (roll < 85) return this.copy(rng, head);
    if (roll < 90 || buf.length <= head) {
      const at = rng.int(head);
      const end = Math.min(head, at + 1 + rng.int(64));
      const v = rng.chance(0.5) ? 0 : 0xff;
      buf.fill(v, at, end);
      return `fill ${at}..${end}=0x${v.toString(16)}`;
    }
    const o = rng.range(head, buf.length);
    buf[o] = buf[o]! ^ (1 << rng.int(8));
    this.tail.push(o);
    return `tail-flip ${o}`;
  }

  /** A length at or past the end of the input: the classic bad offset or count. */
  private pastEnd(rng: Prng): number {
    return this.buf.length + rng.pick([-1, 0, 1, 4, 4096, this.buf.length]);
  }

  private field(rng: Prng, f: FieldSpot): string {
    const { buf } = this;
    if (f.int) {
      const v = rng.chance(0.85) ? rng.pick(f.values) : rng.chance(0.5) ? this.pastEnd(rng) : rng.u64();
      if (v instanceof Uint8Array) {
        buf.set(v.subarray(0, f.size), f.at);
        return `${f.name}=bytes`;
      }
      writeInt(buf, f.at, f.size, v);
      return `${f.name}=${BigInt.asUintN(f.size * 8, BigInt(v))}`;
    }
    const end = Math.min(buf.length, f.at + f.size);
    const roll = rng.int(5);
    if (roll === 0 && f.values.length > 0) {
      const v = rng.pick(f.values);
      if (v instanceof Uint8Array) {
        buf.fill(0, f.at, end);
        buf.set(v.subarray(0, end - f.at), f.at);
      } else buf.fill(Number(v) & 0xff, f.at, end);
      return `${f.name}=value`;
    }
    if (roll === 1) { buf.fill(0, f.at, end); return `${f.name}=0`; }
    if (roll === 2) { buf.fill(0xff, f.at, end); return `${f.name}=ff`; }
    if (roll === 3) { rngFill(rng, buf, f.at, end); return `${f.name}=random`; }
    const o = f.at + rng.int(Math.max(1, end - f.at));
    if (o < buf.length) buf[o] = buf[o]! ^ (1 << rng.int(8));
    return `${f.name} flip ${o}`;
  }

  /** Copies one record over another (duplicate labels, sub-structures, entries), or a random chunk. */
  private copy(rng: Prng, head: number): string {
    const { buf, plan } = this;
    const spans = plan.spans.filter((s) => s.at + s.size <= head);
    if (spans.length >= 2 && rng.chance(0.7)) {
      const from = rng.pick(spans);
      const to = rng.pick(spans);
      buf.copyWithin(to.at, from.at, from.at + Math.min(from.size, to.size));
      return `copy record ${from.at}→${to.at}`;
    }
    const n = 1 + rng.int(Math.min(256, head));
    const from = rng.int(head - n + 1);
    const to = rng.int(head - n + 1);
    buf.copyWithin(to, from, from + n);
    return `copy ${from}+${n}→${to}`;
  }

  /** Truncates, extends, inserts a duplicated record, or removes one. */
  private reshape(rng: Prng): [Uint8Array, string] {
    const { buf, plan } = this;
    const roll = rng.int(10);
    if (roll < 5) {
      const cuts = plan.cuts.filter((c) => c >= 0 && c < buf.length);
      const n = cuts.length > 0 && rng.chance(0.6) ? rng.pick(cuts) : rng.int(buf.length);
      return [buf.subarray(0, n), `truncate ${n}`];
    }
    if (roll < 7 || plan.spans.length === 0) {
      const extra = rng.pick([1, 3, 4, 20, 128, 256, 4096, buf.length]);
      const out = new Uint8Array(buf.length + extra);
      out.set(buf);
      const how = rng.int(3);
      if (how === 1) out.fill(0xff, buf.length);
      else if (how === 2) rngFill(rng, out, buf.length, out.length);
      return [out, `extend +${extra}/${how}`];
    }
    const s = rng.pick(plan.spans);
    if (s.at + s.size > buf.length) return [buf, "noop"];
    if (roll < 9) {
      const at = rng.chance(0.5) ? s.at + s.size : rng.pick(plan.spans).at;
      const out = new Uint8Array(buf.length + s.size);
      out.set(buf.subarray(0, at));
      out.set(buf.subarray(s.at, s.at + s.size), at);
      out.set(buf.subarray(at), at + s.size);
      return [out, `insert copy of ${s.at}+${s.size} at ${at}`];
    }
    const out = new Uint8Array(buf.length - s.size);
    out.set(buf.subarray(0, s.at));
    out.set(buf.subarray(s.at + s.size), s.at);
    return [out, `remove ${s.at}+${s.size}`];
  }
}

function rngFill(rng: Prng, b: Uint8Array, from: number, to: number): void {
  for (let i = from; i < to; i++) b[i] = rng.u32() & 0xff;
}
