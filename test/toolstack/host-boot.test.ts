import { test } from "node:test";
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { readFileSync, writeFileSync } from "node:fs";
import { bootHost } from "../../src/toolstack/host-boot.js";
import { reserve } from "../../src/dom0/index.js";
import { CONTROL_DOMID } from "../../src/hypervisor/index.js";
import { smallHost, dom0View } from "../helpers/host.js";

const hashAll = (paths: string[]) => paths.map((p) => createHash("sha256").update(readFileSync(p)).digest("hex"));

test("boot order: raw regions from firmware, then dom0 sets up every valid reservation", () => {
  const host = smallHost();
  const view = dom0View(host);
  reserve({ target: { dimm: view[0]!.dimm }, mgmt: "pmem" }, view);
  reserve({ target: { dimm: view[1]!.dimm }, mgmt: "ram" }, view);
  const b = bootHost(host.stateDir, { pmemMgmt: "pmem" });
  try {
    assert.equal(b.reservations.length, 2);
    // pmem_mgmt=pmem needs a management area: the reservation without one is refused, and reported.
    assert.deepEqual(b.reservations.map((r) => r.error?.reason ?? "ok"), ["ok", "setup.mgmt-required"]);
    const raw = b.hv.pmemGetRegions(CONTROL_DOMID, "raw");
    assert.ok(raw.ok && raw.value.length === 2);
    const data = b.hv.pmemGetRegions(CONTROL_DOMID, "data");
    assert.ok(data.ok);
    assert.deepEqual(data.value.map((r) => r.pxm), [0]);
  } finally { b.close(); }
});

test("a boot with pmem_mgmt=ram writes nothing to any NVDIMM, even with reservations to set up", () => {
  const host = smallHost();
  const view = dom0View(host);
  reserve({ target: { dimm: view[0]!.dimm }, mgmt: "pmem" }, view);
  const paths = host.dimms.map((d) => d.path);
  const before = hashAll(paths);
  const b = bootHost(host.stateDir, { pmemMgmt: "ram" });
  b.close();
  assert.deepEqual(hashAll(paths), before);
});

test("reboot: reservations are rediscovered, management structures rebuilt, domains gone", () => {
  const host = smallHost();
  const view = dom0View(host);
  reserve({ target: { dimm: view[0]!.dimm }, mgmt: "pmem" }, view);
  const first = bootHost(host.stateDir, { pmemMgmt: "pmem" });
  const created = first.hv.domainCreate(CONTROL_DOMID, {});
  assert.ok(created.ok);
  const d1 = first.hv.pmemGetRegions(CONTROL_DOMID, "data");
  first.close();
  const second = bootHost(host.stateDir, { pmemMgmt: "pmem" });
  try {
    const d2 = second.hv.pmemGetRegions(CONTROL_DOMID, "data");
    assert.deepEqual(d2, d1);
    assert.deepEqual(second.hv.domainIds(), [CONTROL_DOMID]);
  } finally { second.close(); }
});

test("a torn reservation record is reported and skipped, never repaired", () => {
  const host = smallHost();
  const view = dom0View(host);
  const r = reserve({ target: { dimm: view[0]!.dimm }, mgmt: "ram" }, view);
  const p = host.dimms[0]!.path;
  const b = readFileSync(p);
  const at = Number(r.namespace.dpa) + 4096 + 60;
  b[at] = b[at]! ^ 0xff; // inside the record: checksum no longer matches
  writeFileSync(p, b);
  const before = hashAll([p]);
  const booted = bootHost(host.stateDir, { pmemMgmt: "ram" });
  try {
    assert.equal(booted.reservations.length, 0);
    assert.deepEqual(booted.skipped.map((s) => s.reasons[0]?.code), ["rsv.checksum"]);
    const data = booted.hv.pmemGetRegions(CONTROL_DOMID, "data");
    assert.ok(data.ok && data.value.length === 0);
  } finally { booted.close(); }
  assert.deepEqual(hashAll([p]), before);
});
