// image= provisioning speed (`npm run bench -- --only image`): streaming an
// image into a sparse host DIMM file, as create does (the range zeroed, then
// only blocks with data written, and flushed), in seconds per GiB of image,
// against `dd conv=sparse,fsync` of the same file in the same run (which
// reads every byte, holes included, and also skips writing zero blocks).
//
//   node dist/bench/image.js [--json]
import { spawnSync } from "node:child_process";
import { closeSync, mkdtempSync, openSync, rmSync, truncateSync, writeFileSync, writeSync } from "node:fs";
import { randomBytes } from "node:crypto";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { performance } from "node:perf_hooks";
import { SparseFileMedia } from "../src/media/index.js";
import { openImage, streamImage } from "../src/toolstack/image-source.js";
import { printRows, ratioText, type BenchRow } from "./table.js";

const MiB = 1 << 20;
const GiB = 1024 * MiB;

function makeImage(path: string, size: number, pieces: readonly [number, number][]): void {
  writeFileSync(path, "");
  truncateSync(path, size);
  const fd = openSync(path, "r+");
  for (const [at, n] of pieces) for (let done = 0; done < n; done += 4 * MiB) writeSync(fd, randomBytes(Math.min(4 * MiB, n - done)), 0, Math.min(4 * MiB, n - done), at + done);
  closeSync(fd);
}

function timeStream(image: string, size: number, dimm: string): number {
  const media = SparseFileMedia.create(dimm, BigInt(size) + 2n * BigInt(MiB), { overwrite: true });
  const t0 = performance.now();
  const src = openImage(image, "any", BigInt(size));
  try { streamImage(src, media, 2n * BigInt(MiB)); media.flush(); } finally { src.close(); media.close(); }
  return (performance.now() - t0) / 1000;
}

function timeDd(image: string, dimm: string): number {
  rmSync(dimm, { force: true });
  const t0 = performance.now();
  const r = spawnSync("dd", [`if=${image}`, `of=${dimm}`, "bs=4M", "conv=sparse,fsync", "status=none"]);
  if (r.status !== 0) throw new Error(`dd failed: ${r.stderr.toString()}`);
  return (performance.now() - t0) / 1000;
}

export function benchImage(): BenchRow[] {
  const dir = mkdtempSync(join(tmpdir(), "vnvdimm-bench-image-"));
  try {
    const cases = [
      { figure: "image= stream, 4 GiB sparse image (3 MiB of data at 3 offsets)", size: 4 * GiB, pieces: [[0, 2 * MiB], [GiB, 4096], [3000 * MiB, MiB]] as [number, number][] },
      { figure: "image= stream, 256 MiB image, all data", size: 256 * MiB, pieces: [[0, 256 * MiB]] as [number, number][] },
    ];
    return cases.map((c) => {
      const image = join(dir, "image.bin");
      const dimm = join(dir, "dimm.img");
      makeImage(image, c.size, c.pieces);
      const ours: number[] = [], dd: number[] = [];
      for (let i = 0; i < 3; i++) { ours.push(timeStream(image, c.size, dimm)); dd.push(timeDd(image, dimm)); }
      const median = (xs: number[]) => xs.sort((a, b) => a - b)[1]!;
      const gib = c.size / GiB;
      const [o, b] = [median(ours) / gib, median(dd) / gib];
      return { figure: c.figure, value: `${o.toFixed(3)} s/GiB`, baseline: `${b.toFixed(3)} s/GiB (dd conv=sparse,fsync)`, ratio: ratioText(o / b) };
    });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href) printRows(benchImage(), process.argv.includes("--json"));
