import { test } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import { MemoryMedia, hashMedia } from "../../src/media/index.js";
import {
  BROKEN, FRAME_TABLE_SIGNATURE, FrameKind, FrameRecord, FrameTable, FrameTableHeader, MGMT_BYTES_PER_PAGE, RamFrameBacking,
  PmemFrameBacking, mgmtLayout, mgmtPagesNeeded, type FrameInfo,
} from "../../src/hypervisor/index.js";

test("on-media structs: an 8-byte record, a 64-byte header, 8 B of management area per data page", () => {
  assert.equal(FrameRecord.size, 8);
  assert.deepEqual(["state", "reserved", "owner", "gfn"].map((f) => FrameRecord.offsetOf(f as "state")), [0, 1, 2, 4]);
  assert.equal(FrameTableHeader.size, 64);
  assert.equal(MGMT_BYTES_PER_PAGE, 8);
  // A TiB of data pages (2^28) needs 2 GiB of records, 512 KiB of descriptors and the header page.
  const l = mgmtLayout(2 ** 28, 4096);
  assert.deepEqual(l, { descriptorOffset: 4096, recordOffset: 4096 + 65536 * 8, areaBytes: 4096 + 65536 * 8 + 2 ** 31, areaPages: 1 + 128 + 2 ** 19 });
  assert.equal(mgmtPagesNeeded(1, 4096), 3);
  assert.equal(mgmtPagesNeeded(512, 4096), 3);
  assert.equal(mgmtPagesNeeded(513, 4096), 4);
});

/** One record per page: the reference the chunked table must agree with. */
class ModelTable {
  readonly pages: FrameInfo[];
  constructor(n: number, state: number) {
    this.pages = Array.from({ length: n }, () => ({ state, owner: 0, gfn: 0 }));
  }
  setRange(i0: number, i1: number, state: number, owner: number, gfn: number): void {
    const owned = state === FrameKind.data || state === FrameKind.label;
    for (let i = i0; i < i1; i++) this.pages[i] = owned ? { state, owner, gfn: gfn + i - i0 } : { state, owner: 0, gfn: 0 };
  }
  release(i0: number, i1: number): void {
    for (let i = i0; i < i1; i++) this.pages[i] = { state: (this.pages[i]!.state & BROKEN) | FrameKind.free, owner: 0, gfn: 0 };
  }
  broken(i: number): void {
    const p = this.pages[i]!;
    this.pages[i] = { ...p, state: p.state | BROKEN };
  }
}

const tableOp = (n: number) => fc.oneof(
  fc.record({ op: fc.constant("set" as const), a: fc.nat(n - 1), len: fc.integer({ min: 1, max: n }), kind: fc.constantFrom(FrameKind.data, FrameKind.label, FrameKind.free), owner: fc.integer({ min: 1, max: 3 }), gfn: fc.nat(1000) }),
  fc.record({ op: fc.constant("release" as const), a: fc.nat(n - 1), len: fc.integer({ min: 1, max: n }) }),
  fc.record({ op: fc.constant("broken" as const), a: fc.nat(n - 1) }),
);

for (const placement of ["ram", "pmem"] as const) {
  test(`property (${placement}): the chunked table agrees with one record per page, and collapses back`, () => {
    fc.assert(fc.property(fc.constantFrom(1, 4, 8, 16), fc.integer({ min: 1, max: 70 }), fc.array(tableOp(70), { maxLength: 30 }), (chunk, n, ops) => {
      const media = new MemoryMedia(1n << 20n);
      const layout = mgmtLayout(n, chunk);
      const backing = placement === "ram" ? new RamFrameBacking() : new PmemFrameBacking(media, 4096n, layout, chunk);
      const t = new FrameTable(n, chunk, backing, FrameKind.free);
      if (backing instanceof PmemFrameBacking) backing.format(1000, n, t.descriptors);
      const model = new ModelTable(n, FrameKind.free);
      for (const o of ops) {
        const a = o.a % n;
        const b = Math.min(n, a + ("len" in o ? o.len : 1));
        if (o.op === "set") {
          t.setRange(a, b, o.kind, o.owner, o.gfn);
          model.setRange(a, b, o.kind, o.owner, o.gfn);
        } else if (o.op === "release") {
          t.releaseRange(a, b);
          model.release(a, b);
        } else {
          assert.equal(t.markBroken(a), (model.pages[a]!.state & BROKEN) === 0);
          model.broken(a);
        }
      }
      for (let i = 0; i < n; i++) assert.deepEqual(t.get(i), model.pages[i], `page ${i}`);
      // Runs cover every page once and agree with the records.
      let at = 0;
      for (const r of t.runs()) {
        assert.equal(r.start, at);
        for (let k = 0; k < r.nr; k++) {
          const p = model.pages[at + k]!;
          assert.equal(p.state, r.state);
          assert.equal(p.owner, r.owner);
          if (p.state & 3 && (p.state & 3) !== FrameKind.mgmt) assert.equal(p.gfn, r.gfn + k);
        }
        at += r.nr;
      }
      assert.equal(at, n);
      assert.equal(t.firstNotInState(0, n, FrameKind.free), model.pages.findIndex((p) => p.state !== FrameKind.free));
      // Releasing everything and clearing leaves no dense chunk.
      t.setRange(0, n, FrameKind.free, 0, 0);
      assert.equal(t.denseChunks(), 0);
    }), { numRuns: 150 });
  });
}

test("uniform runs stay descriptors: a contiguous assignment across chunks makes none dense", () => {
  const t = new FrameTable(100_000, 4096, new RamFrameBacking(), FrameKind.free);
  t.setRange(0, 100_000, FrameKind.data, 5, 7);
  assert.equal(t.denseChunks(), 0);
  assert.deepEqual(t.get(99_999), { state: FrameKind.data, owner: 5, gfn: 7 + 99_999 });
  t.setRange(10, 20, FrameKind.free, 0, 0);
  assert.equal(t.denseChunks(), 1);
  t.setRange(10, 20, FrameKind.data, 5, 17);
  assert.equal(t.denseChunks(), 0, "the chunk is one run again");
  assert.deepEqual([...t.runs()].length, 1);
});

test("pmem backing: descriptors and records land in the management area, decodable with the structs", () => {
  const media = new MemoryMedia(1n << 20n);
  const n = 40;
  const layout = mgmtLayout(n, 16);
  const backing = new PmemFrameBacking(media, 8192n, layout, 16);
  const t = new FrameTable(n, 16, backing, FrameKind.free);
  const before = hashMedia(media);
  backing.format(0x1234, n, t.descriptors);
  assert.notEqual(hashMedia(media), before);
  const h = FrameTableHeader.decode(media.read(8192n, FrameTableHeader.size));
  assert.equal(h.signature, FRAME_TABLE_SIGNATURE);
  assert.equal(h.dataSmfn, 0x1234n);
  assert.equal(h.nrPages, 40n);
  t.setRange(17, 18, FrameKind.data, 3, 99);
  // Chunk 1 is dense now: its descriptor says so, and page 17's record holds owner 3, gfn 99.
  const desc = FrameRecord.decode(media.read(8192n + BigInt(layout.descriptorOffset) + 8n, 8));
  assert.equal(desc.state, 0xff);
  const rec = FrameRecord.decode(media.read(8192n + BigInt(layout.recordOffset) + 17n * 8n, 8));
  assert.deepEqual({ state: rec.state, owner: rec.owner, gfn: rec.gfn }, { state: FrameKind.data, owner: 3, gfn: 99 });
  // Nothing outside the area was written.
  assert.deepEqual(media.read(0n, 8192), new Uint8Array(8192));
  assert.deepEqual(media.read(8192n + BigInt(layout.areaBytes), 4096), new Uint8Array(4096));
  // RAM holds the descriptors and a few decoded chunks, never all records.
  assert.ok(t.ramBytes() < 4096, `${t.ramBytes()}`);
});
