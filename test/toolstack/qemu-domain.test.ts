// What a running QEMU accepts as a hotplug, and the console markers the lifecycle waits on.
import { test } from "node:test";
import assert from "node:assert/strict";
import { QemuDomainError, checkHotplugFits } from "../../src/toolstack/index.js";
import { UserError, userErrorFromJson } from "../../src/api/index.js";
import { userErrorText } from "../../src/cli/main.js";
import { bootReport, consoleTail, isReady, type QemuRunRecord, type QemuVnvdimm } from "../../src/backends/index.js";

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

test("a failed boot quotes the console: its last lines, or the lines up to a kernel panic; no CRs or blank lines", () => {
  const lines = Array.from({ length: 12 }, (_, i) => `line ${i}\r`);
  assert.deepEqual(consoleTail(lines.join("\n") + "\n\r\n", 3), ["line 9", "line 10", "line 11"]);
  const panic = ["a", "b", "Kernel panic - not syncing: VFS: Unable to mount root fs", "CPU: 0", "Call Trace:", " x+0x1", " y+0x2"].join("\r\n");
  assert.deepEqual(consoleTail(panic, 3), ["a", "b", "Kernel panic - not syncing: VFS: Unable to mount root fs"], "the trace after the panic says less than the lines before it");
  assert.deepEqual(consoleTail(panic.split("\r\n").slice(2).join("\n"), 3), ["Kernel panic - not syncing: VFS: Unable to mount root fs", "CPU: 0", "Call Trace:"], "a panic on the first line: what follows it");
  assert.deepEqual(consoleTail("", 8), []);
});

test("quoted console lines travel as an error's detail and print escaped, one per line, before the hint", async () => {
  const e = new UserError("invalid-input", "The guest of domain x did not boot", "see the console", 1, "qemu.boot", ["\x1b]0;pwned\x07 panic", "plain"]);
  const back = userErrorFromJson(JSON.parse(JSON.stringify(e)));
  assert.deepEqual(back?.detail, e.detail, "the API keeps the exact lines");
  assert.equal(userErrorText(e), "vnvdimm: The guest of domain x did not boot\n  | \\x1b]0;pwned\\x07 panic\n  | plain\n  hint: see the console\n");
});
