import { test } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import { LinearP2m, P2M_BROKEN, P2M_MISSING, TreeP2m, createP2m, type P2m, type P2mExtent, type P2mKind } from "../../src/hypervisor/index.js";
import { BROKEN_FROM, ENTRY_MISSING, P2M_PAGE_ENTRIES, P2M_PAGE_SHIFT } from "../../src/hypervisor/p2m.js";

const KINDS: P2mKind[] = ["linear", "tree"];

/** The reference: a sorted list of disjoint single-step runs, split and merged naively. */
class ModelP2m {
  private runs: P2mExtent[] = [];
  map(gfn: number, mfn: number, nr: number): void {
    this.runs.push({ gfn, mfn, nr, broken: false });
  }
  unmap(gfn: number, nr: number): void {
    this.runs = this.runs.flatMap((r) => cut(r, gfn, gfn + nr));
  }
  markBroken(gfn: number): void {
    const r = this.runs.find((x) => x.gfn <= gfn && gfn < x.gfn + x.nr);
    if (!r || r.broken) return;
    this.unmap(gfn, 1);
    this.runs.push({ gfn, mfn: r.mfn + (gfn - r.gfn), nr: 1, broken: true });
  }
  lookup(gfn: number): number {
    const r = this.runs.find((x) => x.gfn <= gfn && gfn < x.gfn + x.nr);
    return r === undefined ? P2M_MISSING : r.broken ? P2M_BROKEN : r.mfn + (gfn - r.gfn);
  }
  extents(): P2mExtent[] {
    const out: P2mExtent[] = [];
    for (const r of [...this.runs].sort((a, b) => a.gfn - b.gfn)) {
      const last = out[out.length - 1];
      if (last && last.gfn + last.nr === r.gfn && last.mfn + last.nr === r.mfn && last.broken === r.broken) out[out.length - 1] = { ...last, nr: last.nr + r.nr };
      else out.push(r);
    }
    return out;
  }
}

/** The parts of r outside [a, b). */
function cut(r: P2mExtent, a: number, b: number): P2mExtent[] {
  const end = r.gfn + r.nr;
  if (b <= r.gfn || end <= a) return [r];
  const out: P2mExtent[] = [];
  if (r.gfn < a) out.push({ ...r, nr: a - r.gfn });
  if (b < end) out.push({ gfn: b, mfn: r.mfn + (b - r.gfn), nr: end - b, broken: r.broken });
  return out;
}

for (const kind of KINDS) {
  test(`${kind}: map, lookup, unmap, broken, extents`, () => {
    const p = createP2m(kind);
    assert.equal(p.kind, kind);
    assert.equal(p.lookup(0), P2M_MISSING);
    assert.equal(p.lookup(2 ** 32 - 1), P2M_MISSING);
    p.map(100, 5000, 1000);
    assert.equal(p.lookup(100), 5000);
    assert.equal(p.lookup(1099), 5999);
    assert.equal(p.lookup(1100), P2M_MISSING);
    assert.deepEqual([...p.extents()], [{ gfn: 100, mfn: 5000, nr: 1000, broken: false }]);
    assert.deepEqual([...p.extents(600, 10)], [{ gfn: 600, mfn: 5500, nr: 10, broken: false }]);
    p.markBroken(600);
    assert.equal(p.lookup(600), P2M_BROKEN);
    assert.deepEqual([...p.extents(599, 3)], [
      { gfn: 599, mfn: 5499, nr: 1, broken: false }, { gfn: 600, mfn: 5500, nr: 1, broken: true }, { gfn: 601, mfn: 5501, nr: 1, broken: false },
    ]);
    p.unmap(100, 1000);
    assert.deepEqual([...p.extents()], []);
    // A high gfn with an mfn far above it (delta near 2^40) and one below it.
    p.map(2 ** 32 - 10, 2 ** 40 - 10, 10);
    p.map(2 ** 31, 7, 1);
    assert.equal(p.lookup(2 ** 32 - 1), 2 ** 40 - 1);
    assert.equal(p.lookup(2 ** 31), 7);
  });

  test(`${kind}: a TiB populates as a handful of entries and unmaps back to nothing`, () => {
    const p = createP2m(kind);
    const before = p.ramBytes();
    const t0 = performance.now();
    p.map(0, 0x100000, 2 ** 28);
    const ms = performance.now() - t0;
    assert.ok(ms < 200, `took ${ms} ms`);
    assert.equal(p.lookup(2 ** 28 - 1), 0x100000 + 2 ** 28 - 1);
    assert.deepEqual([...p.extents()], [{ gfn: 0, mfn: 0x100000, nr: 2 ** 28, broken: false }]);
    assert.ok(p.ramBytes() - before < 8 << 20, `${p.ramBytes() - before} bytes`);
    p.unmap(0, 2 ** 28);
    assert.deepEqual([...p.extents()], []);
  });
}

test("linear: holes share the missing page, whole pages of a run share one page, partial ones are private", () => {
  const p = new LinearP2m();
  p.map(0, 1000, 512 * 10 + 3);
  assert.deepEqual({ ...p.pageCounts(), directory: 0 }, { directory: 0, private: 1, shared: 1 });
  assert.ok(p.pageCounts().directory >= 11);
  p.map(512 * 20, 50_000, 512);
  assert.deepEqual({ ...p.pageCounts(), directory: 0 }, { directory: 0, private: 1, shared: 2 });
  p.unmap(512 * 20, 512);
  p.unmap(512 * 10, 3);
  assert.deepEqual({ ...p.pageCounts(), directory: 0 }, { directory: 0, private: 0, shared: 1 });
  p.unmap(0, 512 * 10);
  assert.deepEqual({ ...p.pageCounts(), directory: 0 }, { directory: 0, private: 0, shared: 0 });
});

test("tree: spans collapse into mid and top entries", () => {
  const p = new TreeP2m();
  p.map(5, 77, 2 ** 18 * 3);
  // Head and tail top entries have mids, each with one leaf; the middle ones are single entries.
  assert.deepEqual(p.pageCounts(), { mids: 2, leaves: 2 });
  p.unmap(5, 2 ** 18 * 3);
  assert.deepEqual(p.pageCounts(), { mids: 0, leaves: 0 });
});

const op = fc.oneof(
  fc.record({ op: fc.constant("map" as const), gfn: fc.nat(700_000), mfn: fc.nat(2 ** 30), nr: fc.integer({ min: 1, max: 300_000 }) }),
  fc.record({ op: fc.constant("unmap" as const), gfn: fc.nat(700_000), nr: fc.integer({ min: 1, max: 300_000 }) }),
  fc.record({ op: fc.constant("broken" as const), gfn: fc.nat(700_000) }),
  fc.record({ op: fc.constant("small" as const), gfn: fc.nat(2000), mfn: fc.nat(5000), nr: fc.integer({ min: 1, max: 700 }) }),
);

test("property: both P2Ms agree with an extent model (map over holes, unmap, broken)", () => {
  fc.assert(fc.property(fc.array(op, { maxLength: 25 }), fc.array(fc.nat(1_000_000), { maxLength: 50 }), (ops, probes) => {
    const model = new ModelP2m();
    const impls: P2m[] = [new LinearP2m(), new TreeP2m()];
    for (const o of ops) {
      if (o.op === "map" || o.op === "small") {
        // Callers map only over holes; keep the model's precondition.
        if ([...impls[0]!.extents(o.gfn, o.nr)].length > 0) continue;
        model.map(o.gfn, o.mfn, o.nr);
        for (const p of impls) p.map(o.gfn, o.mfn, o.nr);
      } else if (o.op === "unmap") {
        model.unmap(o.gfn, o.nr);
        for (const p of impls) p.unmap(o.gfn, o.nr);
      } else {
        model.markBroken(o.gfn);
        for (const p of impls) p.markBroken(o.gfn);
      }
    }
    const want = model.extents();
    for (const p of impls) {
      assert.deepEqual([...p.extents()], want, p.kind);
      for (const g of probes) assert.equal(p.lookup(g), model.lookup(g), `${p.kind} gfn ${g}`);
      for (const e of want.slice(0, 5)) {
        assert.equal(p.lookup(e.gfn), model.lookup(e.gfn));
        assert.equal(p.lookup(e.gfn + e.nr - 1), model.lookup(e.gfn + e.nr - 1));
      }
    }
  }), { numRuns: 150 });
});

test("lookup's literals are p2m.ts's constants (they are written out for speed)", () => {
  assert.equal(ENTRY_MISSING, 2 ** 52);
  assert.equal(BROKEN_FROM, 2 ** 43);
  assert.equal(P2M_PAGE_SHIFT, 9);
  assert.equal(P2M_PAGE_ENTRIES, 512);
  assert.equal(P2M_MISSING, -1);
  assert.equal(P2M_BROKEN, -2);
});

test("a fresh P2M holds almost nothing; the tree's top grows only as far as the highest gfn mapped", () => {
  for (const kind of KINDS) assert.ok(createP2m(kind).ramBytes() < 8 << 10, `${kind}: ${createP2m(kind).ramBytes()} bytes`);
  const t = new TreeP2m();
  assert.equal(t.lookup(2 ** 32 - 1), P2M_MISSING);
  t.markBroken(2 ** 32 - 1);
  assert.deepEqual([...t.extents()], []);
  t.map(2 ** 32 - 2, 9, 2);
  assert.equal(t.lookup(2 ** 32 - 1), 10);
  assert.equal(t.lookup(5), P2M_MISSING);
  t.unmap(0, 2 ** 32);
  assert.deepEqual([...t.extents()], []);
});

// Random populate/unmap sequences, page by page and in runs, against a plain
// gfn → mfn map: the reference is too simple to share a bug with either P2M.
const pageOp = fc.oneof(
  { weight: 4, arbitrary: fc.record({ op: fc.constant("map" as const), gfn: fc.nat(3000), mfn: fc.nat(2 ** 40 - 4000), nr: fc.integer({ min: 1, max: 1100 }) }) },
  { weight: 2, arbitrary: fc.record({ op: fc.constant("unmap" as const), gfn: fc.nat(3000), nr: fc.integer({ min: 1, max: 1100 }) }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant("broken" as const), gfn: fc.nat(3000) }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant("high" as const), gfn: fc.integer({ min: 2 ** 32 - 600, max: 2 ** 32 - 1 }), mfn: fc.nat(2 ** 40 - 1) }) },
);

test("property: both P2Ms agree with a plain map, gfn by gfn", () => {
  fc.assert(fc.property(fc.array(pageOp, { maxLength: 40 }), (ops) => {
    const ref = new Map<number, { mfn: number; broken: boolean }>();
    const impls: P2m[] = [new LinearP2m(), new TreeP2m()];
    for (const o of ops) {
      if (o.op === "map" || o.op === "high") {
        const nr = o.op === "high" ? 1 : o.nr;
        let free = true;
        for (let g = o.gfn; g < o.gfn + nr; g++) if (ref.has(g)) free = false;
        if (!free) continue;
        for (let g = o.gfn; g < o.gfn + nr; g++) ref.set(g, { mfn: o.mfn + (g - o.gfn), broken: false });
        for (const p of impls) p.map(o.gfn, o.mfn, nr);
      } else if (o.op === "unmap") {
        for (let g = o.gfn; g < o.gfn + o.nr; g++) ref.delete(g);
        for (const p of impls) p.unmap(o.gfn, o.nr);
      } else {
        const r = ref.get(o.gfn);
        if (r) r.broken = true;
        for (const p of impls) p.markBroken(o.gfn);
      }
    }
    const probes = [...ref.keys(), ...Array.from({ length: 200 }, (_, i) => i * 17), 2 ** 32 - 1, 2 ** 32 - 600];
    for (const p of impls) {
      for (const g of probes) {
        const r = ref.get(g);
        assert.equal(p.lookup(g), r === undefined ? P2M_MISSING : r.broken ? P2M_BROKEN : r.mfn, `${p.kind} gfn ${g}`);
      }
      let n = 0;
      for (const e of p.extents()) {
        n += e.nr;
        for (const g of [e.gfn, e.gfn + e.nr - 1]) assert.deepEqual(ref.get(g), { mfn: e.mfn + (g - e.gfn), broken: e.broken }, `${p.kind} extent at ${g}`);
      }
      assert.equal(n, ref.size, `${p.kind}: pages in extents`);
    }
  }), { numRuns: 120 });
});
