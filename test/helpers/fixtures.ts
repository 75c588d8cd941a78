// Reads the copied ground-truth fixtures (test/data/fixtures, see ORIGIN.md).
import { readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

// Compiled tests live in dist/test/helpers; the data stays in test/data.
export const FIXTURES = join(dirname(fileURLToPath(import.meta.url)), "..", "..", "..", "test", "data", "fixtures");

export const CASES = {
  S1: "S1-v1.1-four-namespaces",
  S2: "S2-v1.2-four-namespaces",
  S3: "S3-acpi-one-dimm",
  S4: "S4-zeroed-labelless",
} as const;
export type CaseId = keyof typeof CASES;

export function fixtureBytes(c: CaseId, file: string): Uint8Array {
  return new Uint8Array(readFileSync(join(FIXTURES, CASES[c], file)));
}

export function fixtureJson<T = unknown>(c: CaseId, file: string): T {
  return JSON.parse(readFileSync(join(FIXTURES, CASES[c], file), "utf8")) as T;
}

export interface ManifestNamespace {
  dev: string; name: string; mode_ndctl: string; uuid_sysfs_label: string; uuid_ndctl: string; size: number; dpa: number;
  info_block_host_decode?: Record<string, unknown>;
}
export interface ManifestCase { id: string; dir: string; namespaces: ManifestNamespace[]; regions: { size: number; cookies_computed_on_host: Record<string, string> }[] }

export function manifestCase(c: CaseId): ManifestCase {
  const m = JSON.parse(readFileSync(join(FIXTURES, "MANIFEST.json"), "utf8")) as { cases: ManifestCase[] };
  const found = m.cases.find((x) => x.dir === CASES[c]);
  if (!found) throw new Error(`no manifest case for ${c}`);
  return found;
}

/** Region size of the fixtures' single DIMM: 256 MiB minus the 128 KiB label area. */
export const FIXTURE_REGION_BYTES = 268304384n;
