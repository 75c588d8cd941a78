// A reservation the host found once and no longer finds is reported loudly:
// converted by another OS (a Linux `ndctl create-namespace -f -e` writes an
// fsdax info block over the record), damaged (a torn or corrupt record), and
// it stays reported until an administrator acknowledges it. Nothing on the
// media is ever repaired or written by the report.
import { test } from "node:test";
import assert from "node:assert/strict";
import { createHash, randomUUID } from "node:crypto";
import { closeSync, mkdtempSync, openSync, readFileSync, writeFileSync, writeSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { cli } from "../helpers/cli.js";
import { buildPfnSb, rawTextToBytes } from "../../src/formats/index.js";

const small = { name: "t", sockets: [{ node: 0, ram: "1G" }, { node: 1, ram: "1G" }], nvdimms: [{ node: 0, size: "256M" }, { node: 1, size: "256M" }] };

type Status = { lost: { uuid: string; handle: number; found: string }[]; skipped: { reasons: string[] }[]; reservations: { uuid: string }[] };

async function ok(...argv: string[]): Promise<string> {
  const r = await cli(...argv);
  assert.equal(r.code, 0, `vnvdimm ${argv.join(" ")}: ${r.err}`);
  return r.out;
}

function pokeDimm(state: string, dimm: number, at: bigint, bytes: Uint8Array): void {
  const fd = openSync(join(state, "host", `nvdimm${dimm}.img`), "r+");
  try { writeSync(fd, bytes, 0, bytes.length, Number(at)); } finally { closeSync(fd); }
}

const hashDimm = (state: string, dimm: number): string => createHash("sha256").update(readFileSync(join(state, "host", `nvdimm${dimm}.img`))).digest("hex");

test("a reservation converted by Linux or damaged is reported as lost, in status text and JSON, until `pmem forget`", async () => {
  const dir = mkdtempSync(join(tmpdir(), "vnvdimm-lost-"));
  const state = join(dir, "state");
  writeFileSync(join(dir, "m.json"), JSON.stringify(small));
  await ok("host", "init", "--state", state, "--spec", join(dir, "m.json"));
  const r0 = JSON.parse(await ok("pmem", "reserve", "--dimm", "0", "--state", state, "--json")) as { namespace: { uuid: string; dpa: number; sizeBytes: number }; record: { uuid: string; guarded: boolean } };
  const r1 = JSON.parse(await ok("pmem", "reserve", "--dimm", "1", "--state", state, "--json")) as typeof r0;
  assert.equal(r0.record.guarded, true);
  const status = async () => JSON.parse(await ok("host", "status", "--state", state, "--json")) as Status;
  assert.deepEqual((await status()).lost, []);

  // What `ndctl create-namespace -f -e namespaceX.0 -m fsdax` leaves at +4 KiB: a valid fsdax info block, our record gone.
  pokeDimm(state, 0, BigInt(r0.namespace.dpa) + 4096n, buildPfnSb({
    kind: "fsdax", uuid: rawTextToBytes(randomUUID()), parentUuid: rawTextToBytes(r0.namespace.uuid),
    namespaceStartBytes: 0n, namespaceSizeBytes: BigInt(r0.namespace.sizeBytes), map: "dev",
  }));
  // A torn record: one byte of its body changed, the checksum not.
  const torn = readFileSync(join(state, "host", "nvdimm1.img")).subarray(r1.namespace.dpa + 4096 + 300, r1.namespace.dpa + 4096 + 301);
  pokeDimm(state, 1, BigInt(r1.namespace.dpa) + 4096n + 300n, Uint8Array.of(torn[0]! ^ 0xff));
  const before = [hashDimm(state, 0), hashDimm(state, 1)];

  const s = await status();
  assert.deepEqual(s.reservations, [], "neither is set up");
  assert.deepEqual(s.lost.map((l) => l.uuid).sort(), [r0.record.uuid, r1.record.uuid].sort());
  assert.match(s.lost.find((l) => l.uuid === r0.record.uuid)!.found, /Linux fsdax info block/);
  assert.match(s.lost.find((l) => l.uuid === r1.record.uuid)!.found, /damaged \(rsv\.checksum\)/);
  assert.deepEqual(s.skipped.map((x) => x.reasons), [["rsv.checksum"]], "the damaged record is also a skipped one");
  const text = await ok("host", "status", "--state", state);
  assert.match(text.split("\n")[2]!, new RegExp(`^LOST RESERVATION ${r0.record.uuid}|^LOST RESERVATION ${r1.record.uuid}`), "the loss comes first");
  assert.match(text, /vnvdimm pmem forget/);
  // A boot that writes (reclaim's) must not forget what it did not find.
  await ok("reclaim", "--state", state);
  assert.equal((await status()).lost.length, 2);

  const f = JSON.parse(await ok("pmem", "forget", r0.record.uuid, "--state", state, "--json")) as { uuid: string; forgotten: boolean };
  assert.deepEqual(f, { uuid: r0.record.uuid, forgotten: true });
  assert.deepEqual((await status()).lost.map((l) => l.uuid), [r1.record.uuid]);
  const again = await cli("pmem", "forget", r0.record.uuid, "--state", state);
  assert.equal(again.code, 2);
  assert.match(again.err, /^vnvdimm: No lost reservation [0-9a-f-]+\n {2}hint: the lost ones: /);
  assert.deepEqual([hashDimm(state, 0), hashDimm(state, 1)], before, "reporting and forgetting never write the media");

  // New media have nothing to lose.
  await ok("host", "init", "--force", "--state", state, "--spec", join(dir, "m.json"));
  assert.deepEqual((await status()).lost, []);
});
