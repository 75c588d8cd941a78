// image= streaming: an image is copied in bounded chunks, its zero blocks
// are not written (the destination is zeroed first, since free pages may
// hold stale bytes), holes are skipped through FIEMAP where the kernel says
// where the data is, and an image that shrinks while it is copied is an error.
import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, openSync, closeSync, truncateSync, writeFileSync, writeSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { FaultyMedia, MemoryMedia } from "../../src/media/index.js";
import { IMAGE_CHUNK_BYTES, ProvisionError } from "../../src/toolstack/index.js";
import { openImage, streamImage } from "../../src/toolstack/image-source.js";
import { fileDataRanges, parseFilefrag } from "../../src/toolstack/image-extents.js";

const MiB = 1 << 20;

/** A sparse file of `size` with `data` at the offsets given. */
function sparseFile(size: number, data: [number, Buffer][]): string {
  const p = join(mkdtempSync(join(tmpdir(), "vnvdimm-imgstream-")), "image.bin");
  writeFileSync(p, "");
  truncateSync(p, size);
  const fd = openSync(p, "r+");
  for (const [at, b] of data) writeSync(fd, b, 0, b.length, at);
  closeSync(fd);
  return p;
}

const fill = (n: number, v: number) => Buffer.alloc(n, v);

test("an image lands byte for byte over stale media: zero blocks read as zero, only blocks with data are written", () => {
  const size = 3 * IMAGE_CHUNK_BYTES + 5000;
  const pieces: [number, Buffer][] = [[0, fill(100, 1)], [IMAGE_CHUNK_BYTES - 10, fill(20, 2)], [2 * IMAGE_CHUNK_BYTES + 8192, fill(4096, 3)], [size - 7, fill(7, 4)]];
  const path = sparseFile(size, pieces);
  const expected = Buffer.alloc(size);
  for (const [at, b] of pieces) b.copy(expected, at);
  for (const ranges of [undefined, [{ offset: 0, length: size }]]) {
    const inner = new MemoryMedia(BigInt(size + 2 * MiB));
    inner.write(0n, fill(size + 2 * MiB, 0xee)); // a former owner's bytes
    const media = new FaultyMedia(inner);
    const src = openImage(path, "any", BigInt(size));
    try {
      const stats = streamImage(src, media, BigInt(MiB), ranges ? { ranges } : {});
      // 100 B, the 20 B across a chunk boundary (two blocks), 4 KiB, and the tail: one block each.
      assert.equal(stats.writtenBytes, BigInt(4 * 4096 + 904), "only blocks holding data are written");
    } finally { src.close(); }
    assert.deepEqual(Buffer.from(inner.read(BigInt(MiB), size)), expected);
    assert.ok(inner.read(0n, MiB).every((b) => b === 0xee) && inner.read(BigInt(MiB + size), MiB).every((b) => b === 0xee), "nothing outside the image is touched");
  }
});

test("a 4 GiB sparse image is copied past every 32-bit limit, reading only where the kernel says data is", { skip: process.platform !== "linux" ? "sparse files and /proc/self/fd: Linux only" : false }, () => {
  const size = 4 * 1024 * MiB + 4096;
  const path = sparseFile(size, [[1024, fill(8, 7)], [3 * 1024 * MiB, fill(4096, 8)], [size - 3, fill(3, 9)]]);
  const written: [bigint, number][] = [];
  const media = { sizeBytes: BigInt(size), readOnly: false, read: (_o: bigint, n: number) => new Uint8Array(n), write: (o: bigint, b: Uint8Array) => { written.push([o, b.length]); }, flush: () => {}, close: () => {}, discard: () => true };
  const src = openImage(path, "any", BigInt(size));
  try {
    const stats = streamImage(src, media, 0n);
    assert.deepEqual(written, [[0n, 4096], [BigInt(3 * 1024 * MiB), 4096], [BigInt(size - 4096), 4096]]);
    if (fileDataRanges(src.fd, size)) assert.ok(stats.readBytes <= 64n * BigInt(MiB), `read ${stats.readBytes} bytes of a 4 GiB sparse image`);
  } finally { src.close(); }
});

test("an image that ends before fstat said (it shrank while copied) is a ProvisionError, not a short copy", () => {
  const path = sparseFile(2 * IMAGE_CHUNK_BYTES, [[0, fill(10, 1)], [IMAGE_CHUNK_BYTES + 4096, fill(10, 2)]]);
  const src = openImage(path, "any", BigInt(4 * IMAGE_CHUNK_BYTES));
  truncateSync(path, IMAGE_CHUNK_BYTES);
  try {
    assert.throws(() => streamImage(src, new MemoryMedia(BigInt(4 * IMAGE_CHUNK_BYTES)), 0n, { ranges: [{ offset: 0, length: 2 * IMAGE_CHUNK_BYTES }] }),
      (e: unknown) => e instanceof ProvisionError && e.code === "provision.image" && /changed while it was copied: it ends at byte 4194304, not 8388608/.test(e.message));
  } finally { src.close(); }
});

test("an image larger than the data area is refused before a byte is read, in MiB too, and over 4 GiB as well", () => {
  const path = sparseFile(5 * 1024 * MiB, []);
  assert.throws(() => openImage(path, "any", 4000n * BigInt(MiB), () => 5216n * BigInt(MiB)), (e: unknown) => e instanceof ProvisionError
    && e.message.endsWith(`is 5368709120 bytes, larger than the 4194304000-byte data area of its namespace (5120 MiB > 4000 MiB)`)
    && /^use a smaller image, or size=5216M or more/.test(e.hint ?? ""));
});

test("filefrag's extents become merged byte ranges; unwritten extents are holes; anything odd is unknown", () => {
  const out = [
    "Filesystem type is: ef53",
    "File size of /proc/1/fd/3 is 4294967296 (1048576 blocks of 4096 bytes)",
    " ext:     logical_offset:        physical_offset: length:   expected: flags:",
    "   0:        0..      14:   46958628..  46958642:     15:            ",
    "   1:       15..      15:   46957092..  46957092:      1:   46958643:",
    "   2:       16..      24:   46957093..  46957101:      9:             unwritten",
    "   3:       25..      25:   46957059..  46957059:      1:   46957102:",
    "   4:   262144..  262144:   47206400..  47206400:      1:   47202848:",
    "   5:  1048575.. 1048575:   47481346..  47481346:      1:   47489023: last,eof",
    "/proc/1/fd/3: 6 extents found",
  ].join("\n");
  assert.deepEqual(parseFilefrag(out, 4294967296), [
    { offset: 0, length: 16 * 4096 }, { offset: 25 * 4096, length: 4096 }, { offset: 1 << 30, length: 4096 }, { offset: 4294967296 - 4096, length: 4096 },
  ]);
  assert.equal(parseFilefrag(out, 4294967295 - 4096), undefined, "a size that disagrees");
  assert.equal(parseFilefrag(out.replace(/^.*extents found$/m, ""), 4294967296), undefined, "a truncated report");
  assert.deepEqual(parseFilefrag("File size of x is 10 (1 block of 4096 bytes)\nx: 0 extents found\n", 10), []);
  // The tail block is clamped to the file's size.
  assert.deepEqual(parseFilefrag("File size of x is 10 (1 block of 4096 bytes)\n ext: x\n   0:        0..       0:      9..      9:      1:             last,eof\nx: 1 extent found\n", 10), [{ offset: 0, length: 10 }]);
});
