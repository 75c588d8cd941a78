import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync, writeFileSync } from "node:fs";
import { createHash } from "node:crypto";
import { buildPfnSb, RESERVATION_CLAIM_GUID, rawBytesToText, guidToBytes } from "../../src/formats/index.js";
import { reserve, scanDimm, readLabelAreaViaDsm } from "../../src/dom0/index.js";
import { MGMT_BYTES_PER_PAGE } from "../../src/hypervisor/index.js";
import { smallHost, dom0View } from "../helpers/host.js";

const sha = (p: string) => createHash("sha256").update(readFileSync(p)).digest("hex");

test("reserve --dimm on an empty label-less DIMM: labels v1.2, a namespace, and a valid record", () => {
  const host = smallHost();
  const view = dom0View(host);
  const r = reserve({ target: { dimm: view[0]!.dimm }, mgmt: "pmem" }, view);
  assert.equal(r.namespace.created, true);
  assert.equal(r.record.owner, "vnvdimm");
  assert.ok(r.record.mgmtSize >= (r.record.dataSize / 4096n) * BigInt(MGMT_BYTES_PER_PAGE));
  const scan = scanDimm(view[0]!.dsm, view[0]!.dimm, view[0]!.data);
  assert.equal(scan.namespaces.length, 1);
  assert.equal(scan.namespaces[0]!.content.kind, "reservation");
  const label = scan.labels.namespaces[0]!.labels[0]!.label;
  assert.equal(rawBytesToText(label.abstractionGuid!), rawBytesToText(guidToBytes(RESERVATION_CLAIM_GUID)));
  // Idempotent: a second reserve finds the record and writes nothing.
  const before = sha(host.dimms[0]!.path);
  const again = reserve({ target: { dimm: view[0]!.dimm }, mgmt: "pmem" }, view);
  assert.equal(again.alreadyReserved, true);
  assert.equal(sha(host.dimms[0]!.path), before);
  // The other DIMM is untouched.
  assert.deepEqual(readLabelAreaViaDsm(view[1]!.dsm, view[1]!.dimm.handle).every((b) => b === 0), true);
});

test("reserve refuses a DIMM holding data, an fsdax info block or a filesystem, and writes nothing", () => {
  const cases: [string, (path: string) => void, RegExp][] = [
    ["data", (p) => { const b = readFileSync(p); b.write("hello", 0); writeFileSync(p, b); }, /holds non-zero data/],
    ["fsdax", (p) => { const b = readFileSync(p); b.set(buildPfnSb({ kind: "fsdax", uuid: new Uint8Array(16).fill(1), parentUuid: new Uint8Array(16), namespaceStartBytes: 0n, namespaceSizeBytes: 256n << 20n, map: "dev" }), 4096); writeFileSync(p, b); }, /holds an fsdax info block/],
    ["ext4", (p) => { const b = readFileSync(p); b[1080] = 0x53; b[1081] = 0xef; writeFileSync(p, b); }, /holds a ext2\/3\/4 signature/],
  ];
  for (const [, plant, msg] of cases) {
    const host = smallHost();
    const view = dom0View(host);
    plant(host.dimms[0]!.path);
    const before = sha(host.dimms[0]!.path);
    assert.throws(() => reserve({ target: { dimm: view[0]!.dimm }, mgmt: "ram" }, view), msg);
    assert.equal(sha(host.dimms[0]!.path), before, "refusal writes nothing");
    const forced = reserve({ target: { dimm: view[0]!.dimm }, mgmt: "ram", force: true }, view);
    assert.equal(forced.record.mgmtSize, 0n);
  }
});

test("reserve --namespace refuses a foreign reservation unless forced", () => {
  const host = smallHost();
  const view = dom0View(host);
  const r = reserve({ target: { dimm: view[0]!.dimm }, mgmt: "ram" }, view);
  // Make it foreign: rewrite the owner and re-seal, as another OS would have written it.
  const p = host.dimms[0]!.path;
  const b = readFileSync(p);
  const at = Number(r.namespace.dpa) + 4096;
  b.write("otheros\0\0\0\0\0\0\0\0\0", at + 128 + 104, "latin1"); // the owner field of a v2 body
  // recompute Fletcher64 via the formats library
  return import("../../src/formats/index.js").then(({ sealInfoBlock }) => {
    const block = new Uint8Array(b.buffer, b.byteOffset + at, 4096);
    sealInfoBlock(block);
    writeFileSync(p, b);
    assert.throws(() => reserve({ target: { namespace: r.namespace.uuid }, mgmt: "ram" }, view), /holds a reservation record owned by "otheros"/);
    assert.equal(reserve({ target: { namespace: "hypervisor" }, mgmt: "ram", force: true }, view).record.owner, "vnvdimm");
  });
});

test("unknown namespace → not found", () => {
  const host = smallHost();
  assert.throws(() => reserve({ target: { namespace: "nope" }, mgmt: "ram" }, dom0View(host)), /No namespace nope/);
});
