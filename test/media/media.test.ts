import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, rmSync, statSync, truncateSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import fc from "fast-check";
import {
  FaultyMedia, MediaError, MemoryMedia, SparseFileMedia, hashMedia, isMediaError, overlayMedia, readOnlyMedia, type Media, type MediaErrorCode,
} from "../../src/media/index.js";

const TiB = 1n << 40n;

function throwsCode(fn: () => unknown, code: MediaErrorCode): void {
  assert.throws(fn, (e: unknown) => isMediaError(e, code));
}

function withDir<T>(fn: (dir: string) => T): T {
  const dir = mkdtempSync(join(tmpdir(), "vnvdimm-media-"));
  try {
    return fn(dir);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const bytes = (...xs: number[]) => Uint8Array.from(xs);

test("MemoryMedia: 1 TiB costs nothing until written; holes read as zeros", () => {
  const m = new MemoryMedia(TiB);
  assert.equal(m.sizeBytes, TiB);
  assert.equal(m.allocatedBytes, 0);
  assert.deepEqual(m.read(TiB - 4n, 4), new Uint8Array(4));
  m.write(TiB - 2n, bytes(1, 2));
  assert.equal(m.allocatedBytes, m.pageBytes);
  assert.deepEqual(m.read(TiB - 4n, 4), bytes(0, 0, 1, 2));
  // Zeros into a hole leave the hole.
  m.write(0n, new Uint8Array(100_000));
  assert.equal(m.allocatedBytes, m.pageBytes);
});

test("MemoryMedia: writes and reads across page boundaries", () => {
  const m = new MemoryMedia(64n * 1024n, { pageBytes: 4096 });
  const data = Uint8Array.from({ length: 10_000 }, (_, i) => (i * 7 + 1) & 0xff);
  m.write(4000n, data);
  assert.deepEqual(m.read(4000n, 10_000), data);
  assert.deepEqual([...m.dataRanges()].map((r) => [r.offset, r.length]), [[0n, 4096n], [4096n, 4096n], [8192n, 4096n], [12288n, 4096n]]);
});

test("bounds, closed and read-only are typed errors", () => {
  const m = new MemoryMedia(4096n);
  throwsCode(() => m.read(4095n, 2), "media.bounds");
  throwsCode(() => m.read(-1n, 1), "media.bounds");
  throwsCode(() => m.write(4096n, bytes(1)), "media.bounds");
  throwsCode(() => m.read(0n, -1), "media.bounds");
  throwsCode(() => m.read(0n, 1.5), "media.bounds");
  throwsCode(() => m.read(0 as unknown as bigint, 1), "media.bounds");
  assert.deepEqual(m.read(4096n, 0), new Uint8Array(0));
  throwsCode(() => new MemoryMedia(-1n), "media.size");
  throwsCode(() => new MemoryMedia(1n, { pageBytes: 3000 }), "media.size");
  const ro = new MemoryMedia(4096n, { readOnly: true });
  throwsCode(() => ro.write(0n, bytes(1)), "media.read-only");
  throwsCode(() => readOnlyMedia(m).write(0n, bytes(1)), "media.read-only");
  m.close();
  m.close();
  throwsCode(() => m.read(0n, 1), "media.closed");
  const e = new MediaError("media.bounds", "x", { a: 1 });
  assert.deepEqual(e.toJSON(), { error: "MediaError", code: "media.bounds", message: "x", a: 1 });
});

test("property: MemoryMedia reads back what a flat array model holds", () => {
  fc.assert(fc.property(
    fc.array(fc.record({ at: fc.nat(20_000), data: fc.uint8Array({ minLength: 0, maxLength: 5000 }) }), { maxLength: 30 }),
    fc.constantFrom(512, 4096, 65536),
    (writes, pageBytes) => {
      const size = 25_000;
      const m = new MemoryMedia(BigInt(size), { pageBytes });
      const model = new Uint8Array(size);
      for (const w of writes) {
        const data = w.data.subarray(0, size - w.at);
        m.write(BigInt(w.at), data);
        model.set(data, w.at);
      }
      assert.deepEqual(m.read(0n, size), model);
    },
  ), { numRuns: 100 });
});

test("property: overlayMedia reads the media with its own writes on top, and writes nothing through", () => {
  fc.assert(fc.property(
    fc.uint8Array({ minLength: 10_001, maxLength: 10_001 }),
    fc.array(fc.record({ at: fc.nat(10_000), data: fc.uint8Array({ minLength: 0, maxLength: 5000 }) }), { maxLength: 20 }),
    (base, writes) => {
      const inner = new FaultyMedia(new MemoryMedia(BigInt(base.length)));
      inner.write(0n, base);
      inner.arm({ denyWrites: true });
      const o = overlayMedia(readOnlyMedia(inner));
      const model = Uint8Array.from(base);
      for (const w of writes) {
        const data = w.data.subarray(0, base.length - w.at);
        o.write(BigInt(w.at), data);
        model.set(data, w.at);
      }
      assert.deepEqual(o.read(0n, base.length), model);
      assert.deepEqual(inner.read(0n, base.length), base);
      throwsCode(() => o.read(1n, base.length), "media.bounds");
      o.close();
      throwsCode(() => o.read(0n, 1), "media.closed");
    },
  ), { numRuns: 100 });
});

test("SparseFileMedia: created sparse with ftruncate, persists, reopens read-only", () => {
  withDir((dir) => {
    const path = join(dir, "dimm0");
    const m = SparseFileMedia.create(path, 1n << 30n);
    assert.equal(statSync(path).size, 1 << 30);
    assert.equal(statSync(path).mode & 0o777, 0o600, "media are private");
    // No zeros were written: the file occupies (almost) no blocks.
    assert.ok(statSync(path).blocks * 512 < 1 << 20, `blocks ${statSync(path).blocks}`);
    m.write((1n << 30n) - 3n, bytes(9, 8, 7));
    m.write(5000n, bytes(1, 2, 3));
    m.flush();
    assert.deepEqual(m.read(4999n, 5), bytes(0, 1, 2, 3, 0));
    m.close();
    throwsCode(() => m.read(0n, 1), "media.closed");
    throwsCode(() => SparseFileMedia.create(path, 4096n), "media.exists");

    const ro = SparseFileMedia.open(path, { readOnly: true });
    assert.equal(ro.sizeBytes, 1n << 30n);
    assert.equal(ro.readOnly, true);
    assert.deepEqual(ro.read((1n << 30n) - 3n, 3), bytes(9, 8, 7));
    throwsCode(() => ro.write(0n, bytes(1)), "media.read-only");
    throwsCode(() => ro.read(1n << 30n, 1), "media.bounds");
    ro.close();

    const again = SparseFileMedia.create(path, 8192n, { overwrite: true });
    assert.equal(again.sizeBytes, 8192n);
    assert.deepEqual(again.read(5000n, 3), new Uint8Array(3));
    again.close();
    throwsCode(() => SparseFileMedia.open(join(dir, "missing")), "media.io");
  });
});

test("SparseFileMedia: a file shrunk behind its back gives media.io, not zeros", () => {
  withDir((dir) => {
    const path = join(dir, "d");
    const m = SparseFileMedia.create(path, 8192n);
    truncateSync(path, 100);
    throwsCode(() => m.read(4096n, 10), "media.io");
    m.close();
  });
});

test("FaultyMedia: the Nth write fails and nothing of it lands", () => {
  const inner = new MemoryMedia(4096n);
  const f = new FaultyMedia(inner, { failWriteAt: 2 });
  f.write(0n, bytes(1));
  throwsCode(() => f.write(1n, bytes(2)), "media.injected-fault");
  f.write(2n, bytes(3));
  assert.deepEqual(inner.read(0n, 3), bytes(1, 0, 3));
  assert.deepEqual(f.writeLog.map((w) => w.landed), [1, 0, 1]);
  f.arm({ failReadAt: 1, failFlushAt: 1 });
  throwsCode(() => f.read(0n, 1), "media.injected-fault");
  assert.deepEqual(f.read(0n, 1), bytes(1));
  throwsCode(() => f.flush(), "media.injected-fault");
  f.flush();
  f.arm({ denyWrites: true });
  throwsCode(() => f.write(0n, bytes(5)), "media.injected-fault");
  assert.equal(f.writes, 4);
});

test("FaultyMedia: power fail tears the write in flight at the atomic unit, then the media is dead", () => {
  const inner = new MemoryMedia(4096n);
  const f = new FaultyMedia(inner, { powerFailAfterBytes: 20, atomicBytes: 8 });
  f.write(0n, new Uint8Array(10).fill(1));
  // 10 more bytes are allowed: [10, 20). Whole aligned 8-byte units only: up to 16.
  assert.throws(() => f.write(10n, new Uint8Array(30).fill(2)), (e: unknown) => isMediaError(e, "media.power-failed"));
  assert.equal(f.poweredOff, true);
  const after = inner.read(0n, 40);
  assert.deepEqual([...after.subarray(0, 10)], new Array(10).fill(1));
  assert.deepEqual([...after.subarray(10, 16)], new Array(6).fill(2));
  assert.deepEqual([...after.subarray(16, 40)], new Array(24).fill(0));
  throwsCode(() => f.read(0n, 1), "media.power-failed");
  throwsCode(() => f.write(0n, bytes(1)), "media.power-failed");
  // Byte granularity by default.
  const g = new FaultyMedia(new MemoryMedia(64n), { powerFailAfterBytes: 3 });
  assert.throws(() => g.write(0n, bytes(1, 2, 3, 4, 5)));
  assert.deepEqual(g.inner.read(0n, 5), bytes(1, 2, 3, 0, 0));
});

test("hashMedia: same bytes hash alike across stores and holes; any change shows", () => {
  withDir((dir) => {
    const a = new MemoryMedia(1n << 24n);
    const b = SparseFileMedia.create(join(dir, "b"), 1n << 24n);
    const empty = hashMedia(a);
    assert.equal(hashMedia(b), empty);
    for (const m of [a, b] as Media[]) {
      m.write(3_000_000n, bytes(1, 2, 3));
      m.write((1n << 24n) - 1n, bytes(255));
    }
    assert.equal(hashMedia(a), hashMedia(b));
    assert.notEqual(hashMedia(a), empty);
    a.write(3_000_001n, bytes(9));
    assert.notEqual(hashMedia(a), hashMedia(b));
    // A range hash ignores changes outside the range.
    const range = { offset: 0n, length: 2_000_000n };
    assert.equal(hashMedia(a, range), hashMedia(b, range));
    assert.equal(hashMedia(a, range), hashMedia(new MemoryMedia(1n << 24n), range));
    b.close();
  });
  const huge = new MemoryMedia(TiB);
  huge.write(TiB / 2n, bytes(1));
  assert.match(hashMedia(huge), /^[0-9a-f]{64}$/);
  throwsCode(() => hashMedia(huge, { offset: TiB, length: 1n }), "media.bounds");
});

test("property: hashMedia depends only on content, whatever the page size or range", () => {
  fc.assert(fc.property(
    fc.array(fc.record({ at: fc.nat(300_000), data: fc.uint8Array({ minLength: 1, maxLength: 3000 }) }), { maxLength: 10 }),
    fc.nat(300_000), fc.nat(100_000),
    (writes, from, len) => {
      const size = 310_000n;
      const a = new MemoryMedia(size, { pageBytes: 4096 });
      const b = new MemoryMedia(size, { pageBytes: 65536 });
      for (const w of writes) {
        a.write(BigInt(w.at), w.data);
        b.write(BigInt(w.at), w.data);
      }
      const length = BigInt(Math.min(len, 310_000 - from));
      const opts = { offset: BigInt(from), length, chunkBytes: 8192 };
      assert.equal(hashMedia(a, opts), hashMedia(b, opts));
      // Without the dataRanges shortcut: the same hash.
      const plain: Media = { sizeBytes: size, readOnly: true, read: (o, l) => a.read(o, l), write: () => {}, flush: () => {}, close: () => {} };
      assert.equal(hashMedia(plain, opts), hashMedia(a, opts));
    },
  ), { numRuns: 60 });
});
