// The QEMU command line maps exactly each vNVDIMM's extent, at the builtin layout's address.
import { test } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import { QemuArgvError, buildQemuArgv, optValue, sizeArg, type QemuDomainSpec, type QemuVnvdimm } from "../../../src/backends/index.js";

const MiB = 1n << 20n;

function spec(nvdimms: QemuVnvdimm[], extra: Partial<QemuDomainSpec> = {}): QemuDomainSpec {
  return {
    name: "vm1", ramMiB: 512, vcpus: 1, slots: 6, maxmemBytes: (512n + 70n * 1024n) * MiB, nodes: 2, accel: "tcg",
    kernel: "/c/vmlinuz", initrd: "/c/initrd.img", agentScript: "/s/agent.sh", badblocksFile: "/s/badblocks", consoleLog: "/s/console.log", consoleSocket: "/s/console.sock", agentSocket: "/s/agent.sock",
    qmpSocket: "/s/qmp.sock", pidFile: "/s/qemu.pid", nvdimms, ...extra,
  };
}

const dimm = (slot: number, over: Partial<QemuVnvdimm> = {}): QemuVnvdimm => ({
  slot, memPath: "/h/nvdimm0.img", offsetBytes: 18n * MiB + BigInt(slot) * 80n * MiB, extentBytes: 64n * MiB + (128n << 10n), labelBytes: 128n << 10n,
  gpa: 0x1_0000_0000n + BigInt(slot) * 0x400_0000n, node: 0, unarmed: false, ...over,
});

/** The values of every occurrence of an option. */
const values = (argv: string[], opt: string) => argv.flatMap((a, i) => (argv[i - 1] === opt ? [a] : []));

function props(text: string): Map<string, string> {
  // Split on single commas only (",," is an escaped comma).
  const parts = text.split(/(?<!,),(?!,)/).map((p) => p.replaceAll(",,", ","));
  return new Map(parts.slice(1).map((p) => [p.slice(0, p.indexOf("=")), p.slice(p.indexOf("=") + 1)]));
}

test("each vNVDIMM is a memory-backend-file window of the host DIMM and an nvdimm at the layout's address", () => {
  const argv = buildQemuArgv(spec([dimm(0), dimm(1, { node: 1, unarmed: true, memPath: "/h/nvdimm1.img" })]));
  const objects = values(argv, "-object").filter((o) => o.startsWith("memory-backend-file,"));
  const devices = values(argv, "-device");
  assert.deepEqual(objects.map((o) => Object.fromEntries(props(o))), [
    { id: "mem0", share: "on", "mem-path": "/h/nvdimm0.img", offset: String(18n * MiB), size: String(64n * MiB + 131072n) },
    { id: "mem1", share: "on", "mem-path": "/h/nvdimm1.img", offset: String(98n * MiB), size: String(64n * MiB + 131072n), readonly: "on" },
  ]);
  assert.deepEqual(devices.map((o) => Object.fromEntries(props(o))), [
    { id: "nvdimm0", memdev: "mem0", slot: "0", addr: "0x100000000", "label-size": "131072" },
    { id: "nvdimm1", memdev: "mem1", slot: "1", addr: "0x104000000", "label-size": "131072", unarmed: "on", node: "1" },
  ]);
  assert.ok(devices.every((d) => d.startsWith("nvdimm,")));
  assert.deepEqual(values(argv, "-machine"), ["pc,nvdimm=on"]);
  assert.deepEqual(values(argv, "-m"), ["512M,slots=6,maxmem=72192M"]);
  assert.deepEqual(values(argv, "-numa"), ["node,nodeid=0,memdev=ram0,cpus=0-0", "node,nodeid=1"]);
  assert.ok(argv.includes("-daemonize") && values(argv, "-pidfile")[0] === "/s/qemu.pid");
  assert.deepEqual(values(argv, "-fw_cfg"), ["name=opt/vnvdimm/agent,file=/s/agent.sh", "name=opt/vnvdimm/badblocks,file=/s/badblocks"]);
  assert.deepEqual(values(argv, "-accel"), ["tcg"]);
});

test("one NUMA node means no -numa options; commas in paths are escaped, not refused", () => {
  const argv = buildQemuArgv(spec([dimm(0, { memPath: "/h/a,b.img" })], { nodes: 1, consoleLog: "/s,1/console.log" }));
  assert.deepEqual(values(argv, "-numa"), []);
  assert.equal(props(values(argv, "-object")[0]!).get("mem-path"), "/h/a,b.img");
  assert.ok(values(argv, "-chardev")[0]!.includes("logfile=/s,,1/console.log"));
  assert.equal(optValue("a,b,,c"), "a,,b,,,,c");
});

test("sizes carry a unit (a bare number after -m means MiB to QEMU)", () => {
  assert.equal(sizeArg(512n * MiB), "512M");
  assert.equal(sizeArg(2n << 30n), "2G");
  assert.equal(sizeArg(4096n * 3n), "12K");
  assert.equal(sizeArg(100n), "100B");
});

test("configurations QEMU would refuse are refused before it runs", () => {
  const bad: [Partial<QemuVnvdimm>, RegExp][] = [
    [{ offsetBytes: 100n }, /whole 4 KiB pages/],
    [{ labelBytes: 64n << 10n }, /at least 128 KiB/],
    [{ extentBytes: 128n << 10n }, /smaller than the extent/],
    [{ node: 2 }, /needs 3 guest NUMA nodes/],
  ];
  for (const [over, re] of bad) assert.throws(() => buildQemuArgv(spec([dimm(0, over)])), (e: unknown) => e instanceof QemuArgvError && re.test(e.message));
  assert.throws(() => buildQemuArgv(spec([dimm(0), dimm(0)])), /share a slot/);
  assert.throws(() => buildQemuArgv(spec([], { vcpus: 0 })), /vcpus/);
});

test("property: the command line maps exactly the extents it was given, and no other file range", () => {
  const nv = fc.record({
    slot: fc.nat(31), file: fc.constantFrom("/h/nvdimm0.img", "/h/nvdimm1.img", "/h/x y.img"), offPages: fc.nat(1 << 20), dataPages: fc.integer({ min: 1, max: 1 << 18 }),
    labelPages: fc.integer({ min: 32, max: 64 }), node: fc.nat(1), unarmed: fc.boolean(),
  });
  fc.assert(fc.property(fc.uniqueArray(nv, { selector: (d) => d.slot, maxLength: 8 }), (ds) => {
    const nvdimms = ds.map((d) => dimm(d.slot, {
      memPath: d.file, offsetBytes: BigInt(d.offPages) * 4096n, extentBytes: BigInt(d.dataPages + d.labelPages) * 4096n, labelBytes: BigInt(d.labelPages) * 4096n, node: d.node, unarmed: d.unarmed,
    }));
    const argv = buildQemuArgv(spec(nvdimms, { slots: 32 }));
    const mapped = values(argv, "-object").filter((o) => o.startsWith("memory-backend-file,")).map((o) => props(o));
    const want = [...nvdimms].sort((a, b) => a.slot - b.slot);
    assert.deepEqual(mapped.map((m) => [m.get("mem-path"), BigInt(m.get("offset")!), BigInt(m.get("size")!), m.get("readonly") === "on"]),
      want.map((d) => [d.memPath, d.offsetBytes, d.extentBytes, d.unarmed]));
    // Nothing else reaches a host file: the only file-backed objects are the vNVDIMMs.
    assert.equal(argv.filter((a) => a.includes("mem-path=")).length, nvdimms.length);
  }), { numRuns: 200 });
});
