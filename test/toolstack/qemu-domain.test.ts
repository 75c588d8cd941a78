// What a running QEMU accepts as a hotplug, and the console markers the lifecycle waits on.
import { test } from "node:test";
import assert from "node:assert/strict";
import { QemuDomainError, checkHotplugFits } from "../../src/toolstack/index.js";
import { bootReport, isReady, type QemuRunRecord, type QemuVnvdimm } from "../../src/backends/index.js";

const GiB = 1n << 30n, MiB = 1n << 20n;
const rec: QemuRunRecord = {
  pid: 1, accel: "tcg", argv: [], ramBytes: 512n * MiB, slots: 4, maxmemBytes: 512n * MiB + 2n * GiB, deviceMemoryBase: 4n * GiB, nodes: 2,
  windows: [{ slot: 0, gpa: 4n * GiB, sizeBytes: 64n * MiB }], initrdSha256: "x", startedAt: "now",
};
const nv = (over: Partial<QemuVnvdimm>): QemuVnvdimm => ({
  slot: 1, memPath: "/h/d", offsetBytes: 0n, extentBytes: 64n * MiB + 128n * 1024n, labelBytes: 128n * 1024n, gpa: 4n * GiB + 64n * MiB, node: 0, unarmed: false, ...over,
});

test("a hotplug must fit the slots, NUMA nodes and device memory QEMU booted with, without overlapping a DIMM", () => {
  checkHotplugFits(rec, nv({}));
  const refused: [Partial<QemuVnvdimm>, RegExp][] = [
    [{ slot: 4 }, /past the 4 memory slots/],
    [{ node: 2 }, /node 2 is past its 2 NUMA nodes/],
    [{ gpa: 6n * GiB }, /device memory ends at 0x180000000/],
    [{ gpa: 4n * GiB + 32n * MiB }, /overlaps/],
    [{ slot: 0, gpa: 5n * GiB }, /overlaps/],
  ];
  for (const [over, re] of refused) {
    assert.throws(() => checkHotplugFits(rec, nv(over)), (e: unknown) => e instanceof QemuDomainError && e.code === "qemu.hotplug" && re.test(e.message) && /zeroed and freed.*vnvdimm destroy/.test(e.hint ?? ""));
  }
});

test("the boot report and READY come from the console, only when complete", () => {
  const c = `vnvdimm-guest: Linux 6.1\n@@@VNVDIMM-BOOT-BEGIN@@@\n[ {"dev":"namespace0.0"} ]\n@@@VNVDIMM-BOOT-END@@@\n@@@VNVDIMM-READY uptime=4.7@@@\n`;
  assert.equal(bootReport(c), `[ {"dev":"namespace0.0"} ]`);
  assert.ok(isReady(c));
  assert.equal(bootReport(c.slice(0, c.indexOf("@@@VNVDIMM-BOOT-END"))), undefined);
  assert.ok(!isReady("vnvdimm-guest: Linux 6.1\n"));
});
