import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { cli } from "../helpers/cli.js";
import { FIXTURES, CASES, fixtureJson, manifestCase, type CaseId } from "../helpers/fixtures.js";
import { rebuildImage } from "../helpers/images.js";

const fx = (c: CaseId, f: string) => join(FIXTURES, CASES[c], f);
const tmp = mkdtempSync(join(tmpdir(), "vnvdimm-cli-"));

for (const c of ["S1", "S2"] as CaseId[]) {
  test(`${c}: inspect labels --json on the rebuilt backing file matches ndctl and the guest`, async () => {
    const img = rebuildImage(c, tmp);
    const r = await cli("inspect", "labels", img, "--json");
    assert.equal(r.code, 0, r.err);
    const j = JSON.parse(r.out) as { index: unknown[]; label: unknown[]; namespaces: { uuid: string; name: string; dpa: number; rawsize: number; mode: string }[]; infoBlocks: { uuid?: string; namespace: string }[] };
    const rl = fixtureJson<{ index: unknown[]; label: unknown[] }[]>(c, "ground-truth/final/read-labels-nmem0.json")[0]!;
    assert.deepEqual(j.index, rl.index);
    assert.deepEqual(j.label, rl.label);
    // u64s are printed exactly, as ndctl prints them.
    assert.match(r.out, c === "S1" ? /"isetcookie": 10248187106440278/ : /"isetcookie": 52512752653219036/);
    const m = manifestCase(c);
    assert.deepEqual(j.namespaces.map((n) => [n.uuid, n.name, n.dpa, n.rawsize, n.mode]),
      m.namespaces.map((n) => [n.uuid_sysfs_label, n.name, n.dpa, n.size, n.mode_ndctl]));
    // ndctl's `uuid` for fsdax/devdax/sector is the info block's uuid.
    for (const n of m.namespaces) {
      const ib = j.infoBlocks.find((b) => b.namespace === n.uuid_sysfs_label);
      assert.equal(ib?.uuid ?? n.uuid_sysfs_label, n.uuid_ndctl, n.name);
    }
  });
}

test("S3/S4: a zeroed DIMM is label-less: one raw namespace over the region, exit 0", async () => {
  for (const c of ["S3", "S4"] as CaseId[]) {
    const r = await cli("inspect", "labels", rebuildImage(c, tmp), "--json");
    assert.equal(r.code, 0, r.err);
    const j = JSON.parse(r.out) as { namespaces: { labelless: boolean; rawsize: number; mode: string }[]; index: unknown[]; label: unknown[] };
    assert.deepEqual(j.namespaces.map((n) => [n.labelless, n.rawsize, n.mode]), [[true, 268304384, "raw"]]);
    const rl = fixtureJson<{ index: unknown[]; label: unknown[] }[]>(c, "ground-truth/final/read-labels-nmem0.json")[0]!;
    assert.deepEqual(j.index, rl.index);
    assert.deepEqual(j.label, rl.label);
  }
});

test("text output names the current index and why", async () => {
  const r = await cli("inspect", "labels", fx("S1", "dimm0.label-area.bin"), "--label-area");
  assert.equal(r.code, 0);
  assert.match(r.out, /current: block 0 \(both blocks valid; seq 2 follows seq 1 \(best_seq\)\)/);
  assert.match(r.out, /Stale labels/);
  assert.match(r.out, /Valid: every check passed\./);
});

test("a corrupt label area exits 1 and lists every failed step with its reason", async () => {
  const area = new Uint8Array(await import("node:fs").then((fs) => fs.readFileSync(fx("S2", "dimm0.label-area.bin"))));
  area[100]! ^= 0xff; // index block 0 bitmap → checksum
  area[512 + 256 + 30]! ^= 0xff; // slot 1 label name → label checksum
  const p = join(tmp, "corrupt.bin");
  writeFileSync(p, area);
  const r = await cli("inspect", "labels", p, "--label-area", "--json");
  assert.equal(r.code, 1);
  const j = JSON.parse(r.out) as { reasons: { code: string }[]; current: number; namespaces: { name: string }[] };
  assert.equal(j.current, 1);
  // Under index 1 (seq 1), slots 0–3 are active; the fs label in slot 1 is corrupt.
  assert.deepEqual(j.reasons.map((x) => x.code), ["index.checksum", "label.checksum"]);
  assert.deepEqual(j.namespaces.map((n) => n.name), ["dev", "raw", "sec"]);
  const t = await cli("inspect", "labels", p, "--label-area");
  assert.match(t.out, /Invalid: 2 check\(s\) failed\n {2}index.checksum: index block 0 checksum mismatch\n {2}label.checksum: label in slot 1 checksum mismatch/);
});

test("inspect acpi: NFIT in full with iasl names, other tables by header", async () => {
  const r = await cli("inspect", "acpi", fx("S3", "acpi/NFIT.bin"), "--json");
  assert.equal(r.code, 0);
  const j = JSON.parse(r.out) as { header: { signature: string }; structures: { regionTypeGuid?: string; deviceHandle?: number }[] };
  assert.equal(j.header.signature, "NFIT");
  assert.equal(j.structures[0]!.regionTypeGuid, "66f0d379-b4f3-4074-ac43-0d3318b78cdb");
  assert.equal(j.structures[1]!.deviceHandle, 1);
  const s = await cli("inspect", "acpi", fx("S3", "acpi/SSDT.bin"));
  assert.equal(s.code, 0);
  assert.match(s.out, /SSDT revision 1, 2209 bytes, OEM "BOCHS " "NVDIMM", checksum ok/);
  const bad = new Uint8Array(await import("node:fs").then((fs) => fs.readFileSync(fx("S3", "acpi/NFIT.bin"))));
  bad[50]! ^= 1;
  writeFileSync(join(tmp, "bad.nfit"), bad);
  const b = await cli("inspect", "acpi", join(tmp, "bad.nfit"));
  assert.equal(b.code, 1);
  assert.match(b.out, /acpi.checksum/);
});

test("bad input: one line and a hint, never a stack trace; usage errors exit 2", async () => {
  const missing = await cli("inspect", "labels", join(tmp, "nope"));
  assert.equal(missing.code, 2);
  assert.equal(missing.err, `vnvdimm: Cannot open ${join(tmp, "nope")}: no such file\n  hint: check the path\n`);
  const size = await cli("inspect", "labels", fx("S1", "dimm0.label-area.bin"), "--label-size", "12x");
  assert.equal(size.code, 2);
  assert.match(size.err, /expected a size/);
  const small = await cli("inspect", "labels", fx("S1", "acpi/NFIT.bin"));
  assert.equal(small.code, 2);
  assert.match(small.err, /smaller than the 131072-byte label area\n {2}hint: pass --label-area/);
  const dir = await cli("inspect", "acpi", tmp);
  assert.equal(dir.code, 2);
  assert.match(dir.err, /not a regular file/);
  const garbage = join(tmp, "garbage");
  writeFileSync(garbage, "hello");
  const g = await cli("inspect", "acpi", garbage);
  assert.equal(g.code, 1);
  assert.match(g.out, /acpi.truncated/);
  for (const r of [missing, size, small, dir, g]) assert.doesNotMatch(r.err + r.out, /\n\s+at .*:\d+:\d+/);
  assert.equal((await cli("bogus")).code, 2);
  assert.equal((await cli("--help")).code, 0);
});

test("bin/vnvdimm runs from the checkout", () => {
  const bin = join(dirname(fileURLToPath(import.meta.url)), "..", "..", "..", "bin", "vnvdimm");
  const r = spawnSync(process.execPath, [bin, "inspect", "labels", fx("S2", "dimm0.label-area.bin"), "--label-area"], { encoding: "utf8" });
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /v1\.2 labels/);
});
