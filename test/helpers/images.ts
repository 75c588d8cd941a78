// Rebuilds a fixture DIMM's full backing file (sparse) from its stored extracts,
// as the fixtures' reconstruct tool does: every non-zero 4 KiB block is stored.
import { closeSync, ftruncateSync, mkdtempSync, openSync, readFileSync, writeSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { CASES, FIXTURES, type CaseId } from "./fixtures.js";

interface ManifestFile { path: string; kind: string; dimm?: number; file_offset?: number }

export function rebuildImage(c: CaseId, dir = mkdtempSync(join(tmpdir(), "vnvdimm-img-"))): string {
  const m = JSON.parse(readFileSync(join(FIXTURES, "MANIFEST.json"), "utf8")) as { cases: { dir: string; configuration: { dimms: { backing_file_size: number }[] }; files: ManifestFile[] }[] };
  const kase = m.cases.find((x) => x.dir === CASES[c])!;
  const path = join(dir, `${c}-dimm0.img`);
  const fd = openSync(path, "w");
  try {
    ftruncateSync(fd, kase.configuration.dimms[0]!.backing_file_size);
    for (const f of kase.files) {
      if (f.file_offset === undefined || (f.dimm ?? 0) !== 0 || !["label-area", "data-extract"].includes(f.kind)) continue;
      const bytes = readFileSync(join(FIXTURES, f.path));
      writeSync(fd, bytes, 0, bytes.length, f.file_offset);
    }
  } finally {
    closeSync(fd);
  }
  return path;
}
