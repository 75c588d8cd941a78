// Where an image file holds data, so a copy can skip its holes without
// reading them (reading 4 GiB of holes costs seconds and fills the page
// cache with zeros). Node has no lseek(SEEK_DATA); e2fsprogs' filefrag asks
// the kernel (FIEMAP) instead. Anything unexpected means "unknown", and the
// caller reads the whole file.
import { spawnSync } from "node:child_process";

export interface DataRange { offset: number; length: number }

const UNIT = 4096;

/**
 * The byte ranges of the open file `fd` (of `sizeBytes`) that may hold data,
 * ascending and merged, or undefined when the kernel or filefrag cannot say.
 * Through /proc/self/fd, so it is the file already opened and checked, not
 * whatever its path names now. Unwritten (preallocated) extents read as
 * zeros, so they are left out.
 */
export function fileDataRanges(fd: number, sizeBytes: number): DataRange[] | undefined {
  // -s: sync first, so delayed allocations have their extents.
  const r = spawnSync("filefrag", ["-s", "-e", `-b${UNIT}`, `/proc/${process.pid}/fd/${fd}`], { encoding: "utf8", timeout: 30_000, maxBuffer: 64 << 20 });
  if (r.status !== 0 || typeof r.stdout !== "string") return undefined;
  return parseFilefrag(r.stdout, sizeBytes);
}

/** filefrag -e -b4096 output to byte ranges; undefined unless it is well formed and agrees on the size. */
export function parseFilefrag(text: string, sizeBytes: number): DataRange[] | undefined {
  const size = /^File size of .* is (\d+) \(/m.exec(text);
  if (!size || Number(size[1]) !== sizeBytes || !/^.*: \d+ extents? found$/m.test(text)) return undefined;
  const out: DataRange[] = [];
  for (const line of text.split("\n")) {
    const m = /^\s*\d+:\s+(\d+)\.\.\s*(\d+):\s+\S*\s+\S*\s+(\d+):.*?([\w,]*)\s*$/.exec(line);
    if (!m) continue;
    if (m[4]!.split(",").includes("unwritten")) continue;
    const start = Number(m[1]) * UNIT;
    const end = Math.min((Number(m[2]) + 1) * UNIT, sizeBytes);
    if (!(start < end)) continue;
    const last = out[out.length - 1];
    if (last && start < last.offset + last.length) return undefined;
    if (last && start === last.offset + last.length) last.length = end - last.offset;
    else out.push({ offset: start, length: end - start });
  }
  return out;
}
