// The real guest's namespaces from ndctl's JSON, in the builtin guest's shape.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import fc from "fast-check";
import { parseGuestNamespaces } from "../../../src/backends/index.js";
import { FIXTURES, CASES } from "../../helpers/fixtures.js";

test("label uuids (raw_uuid, or uuid in raw mode), names, sizes, modes, devices and the DIMM from the NFIT handle", () => {
  const json = readFileSync(join(FIXTURES, CASES.S1, "ground-truth/final/ndctl-list.json"), "utf8");
  const rows = parseGuestNamespaces(`${json}\n@@@\nregion0 0\n`);
  assert.deepEqual(rows.map((r) => [r.uuid, r.name, r.sizeBytes, r.mode, r.dimm, r.device, r.readOnly]), [
    ["7356fcb2-e3f6-431b-a710-9ee019e00772", "fs", 65011712n, "fsdax", 0, "pmem0", false],
    ["4dafd0b8-e650-47bc-9af2-8b5bd46fd3db", "dev", 65011712n, "devdax", 0, "dax0.1", false],
    ["aac73505-bc99-4bcc-b6fb-a6a50ca93a19", "raw", 33554432n, "raw", 0, "pmem0.2", false],
    ["8a51f2ce-8fcc-4cc7-b208-bdeb5332d574", "sec", 32440320n, "sector", 0, "pmem0.3s", false],
  ]);
  assert.equal(rows[1]!.alignBytes, 2097152n);
});

test("a read-only region, a label-less namespace (no uuid), and a disabled seed", () => {
  const json = JSON.stringify({ dimms: [{ dev: "nmem0", handle: 2 }], regions: [{ dev: "region1", mappings: [{ dimm: "nmem0" }], namespaces: [
    { dev: "namespace1.0", mode: "raw", size: 1 << 20, blockdev: "pmem1" },
    { dev: "namespace1.1", mode: "raw", size: 0, uuid: "00000000-0000-0000-0000-000000000000", state: "disabled" },
  ] }] });
  assert.deepEqual(parseGuestNamespaces(`${json}\n@@@\nregion1 1\n`).map((r) => [r.uuid, r.name, r.dimm, r.readOnly, r.device]), [[null, "", 1, true, "pmem1"]]);
});

test("property: whatever the guest prints, parsing never throws", () => {
  fc.assert(fc.property(fc.oneof(fc.string(), fc.json(), fc.json().map((j) => `${j}\n@@@\nregion0 1`)), (t) => { parseGuestNamespaces(t); }));
  assert.deepEqual(parseGuestNamespaces(JSON.stringify({ regions: [{ dev: "region0", namespaces: [{ mode: "fsdax", size: -1 }, null, 3] }] })), []);
});
