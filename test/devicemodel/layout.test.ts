import { test } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import {
  planGuestLayout, addGuestWindow, removeGuestWindow, windowAlignment, DeviceModelError,
  type GuestLayout, type VnvdimmPlacement,
} from "../../src/devicemodel/index.js";
import { GiB, KiB128, MiB } from "./helpers.js";

const dimm = (slot: number, extentBytes: bigint, extra: Partial<VnvdimmPlacement> = {}): VnvdimmPlacement =>
  ({ slot, extentBytes, labelBytes: KiB128, node: 0, unarmed: false, ...extra });

function throwsCode(f: () => unknown, code: string): void {
  assert.throws(f, (e: unknown) => e instanceof DeviceModelError && e.code === code);
}

test("S3: 512 MiB of RAM and one 256 MiB DIMM land where QEMU put them", () => {
  const l = planGuestLayout({ ramBytes: 512n * MiB, slots: 4, vnvdimms: [dimm(0, 256n * MiB)] });
  assert.equal(l.mailboxGpa, 0x1fff_f000n);
  assert.equal(l.deviceMemoryBase, 0x1_0000_0000n);
  assert.deepEqual(l.ram, [{ gpa: 0n, sizeBytes: 512n * MiB }]);
  const w = l.windows[0]!;
  assert.deepEqual([w.gpa, w.sizeBytes, w.handle, w.alignBytes], [0x1_0000_0000n, 0xffe_0000n, 1, 16n * MiB]);
  assert.equal(l.maxmemBytes, 512n * MiB + 0xffe_0000n);
  assert.equal(l.slots, 4);
});

test("RAM: 3.5 GiB or more splits at 3 GiB; device memory starts 1 GiB-aligned above it", () => {
  const small = planGuestLayout({ ramBytes: 3n * GiB + 256n * MiB, vnvdimms: [] });
  assert.deepEqual([small.lowRamBytes, small.highRamBytes, small.deviceMemoryBase, small.slots], [3n * GiB + 256n * MiB, 0n, 4n * GiB, 0]);
  const big = planGuestLayout({ ramBytes: 4n * GiB + 512n * MiB, vnvdimms: [] });
  assert.deepEqual([big.lowRamBytes, big.highRamBytes], [3n * GiB, GiB + 512n * MiB]);
  assert.deepEqual(big.ram, [{ gpa: 0n, sizeBytes: 3n * GiB }, { gpa: 4n * GiB, sizeBytes: GiB + 512n * MiB }]);
  assert.equal(big.deviceMemoryBase, 6n * GiB, "ALIGN(4 GiB + 1.5 GiB, 1 GiB)");
  assert.equal(big.mailboxGpa, 3n * GiB - 4096n);
});

test("unlike QEMU's packing, a DIMM after an odd-sized one starts 16 MiB-aligned; 1 GiB windows 1 GiB-aligned", () => {
  const l = planGuestLayout({ ramBytes: GiB, vnvdimms: [dimm(0, 256n * MiB), dimm(1, 256n * MiB), dimm(2, 4n * GiB + KiB128)] });
  const [a, b, c] = l.windows;
  assert.equal(b!.gpa, a!.gpa + 256n * MiB, "QEMU would put it at the unaligned +0xffe0000");
  assert.equal(c!.gpa, 5n * GiB);
  assert.equal(c!.sizeBytes, 4n * GiB);
  assert.equal(c!.alignBytes, GiB);
  assert.equal(l.maxmemBytes, GiB + (c!.gpa + c!.sizeBytes - l.deviceMemoryBase));
  assert.equal(l.slots, 3);
});

test("bad layouts are refused with a code that names the problem", () => {
  throwsCode(() => planGuestLayout({ ramBytes: 8n * MiB, vnvdimms: [] }), "layout.ram");
  throwsCode(() => planGuestLayout({ ramBytes: GiB + 4096n, vnvdimms: [] }), "layout.ram");
  throwsCode(() => planGuestLayout({ ramBytes: GiB, vnvdimms: [dimm(0, GiB), dimm(0, GiB)] }), "layout.slot");
  throwsCode(() => planGuestLayout({ ramBytes: GiB, slots: 2, vnvdimms: [dimm(2, GiB)] }), "layout.slot");
  throwsCode(() => planGuestLayout({ ramBytes: GiB, slots: 257, vnvdimms: [] }), "layout.slot");
  throwsCode(() => planGuestLayout({ ramBytes: GiB, vnvdimms: [dimm(0, GiB, { labelBytes: 64n * 1024n })] }), "layout.size");
  throwsCode(() => planGuestLayout({ ramBytes: GiB, vnvdimms: [dimm(0, KiB128)] }), "layout.size");
  throwsCode(() => planGuestLayout({ ramBytes: GiB, vnvdimms: [dimm(0, GiB + 512n)] }), "layout.size");
  throwsCode(() => planGuestLayout({ ramBytes: GiB, vnvdimms: [dimm(0, GiB, { node: -1 })] }), "layout.node");
  throwsCode(() => planGuestLayout({ ramBytes: GiB, slots: 2, vnvdimms: [] }), "layout.maxmem");
  const e = (() => { try { planGuestLayout({ ramBytes: GiB, vnvdimms: [dimm(0, KiB128)] }); } catch (x) { return x; } })();
  assert.equal((e as DeviceModelError).toJSON().constructor, Object);
});

test("hotplug fills the first aligned gap inside the reserve and never moves other windows", () => {
  let l: GuestLayout = planGuestLayout({ ramBytes: GiB, slots: 4, hotplugReserveBytes: 2n * GiB, vnvdimms: [dimm(0, 256n * MiB), dimm(1, 256n * MiB)] });
  const before = l.windows.map((w) => w.gpa);
  l = removeGuestWindow(l, 0);
  l = addGuestWindow(l, dimm(3, 64n * MiB + KiB128));
  assert.equal(l.windows.find((w) => w.slot === 3)!.gpa, before[0], "the freed gap is reused");
  assert.equal(l.windows.find((w) => w.slot === 1)!.gpa, before[1]);
  l = addGuestWindow(l, dimm(0, GiB + KiB128));
  assert.equal(l.windows.find((w) => w.slot === 0)!.gpa % GiB, 0n);
  throwsCode(() => addGuestWindow(l, dimm(2, 4n * GiB + KiB128)), "layout.no-room");
  throwsCode(() => addGuestWindow(l, dimm(1, 16n * MiB + KiB128)), "layout.slot");
  throwsCode(() => addGuestWindow(l, dimm(4, 16n * MiB + KiB128)), "layout.slot");
});

function checkInvariants(l: GuestLayout): void {
  const ws = [...l.windows].sort((a, b) => (a.gpa < b.gpa ? -1 : 1));
  const limit = l.deviceMemoryBase + (l.maxmemBytes - l.ramBytes);
  for (const [i, w] of ws.entries()) {
    assert.equal(w.sizeBytes, w.extentBytes - w.labelBytes);
    assert.equal(w.alignBytes, windowAlignment(w.sizeBytes));
    assert.ok(w.alignBytes >= 16n * MiB);
    assert.equal(w.gpa % w.alignBytes, 0n, `slot ${w.slot} at ${w.gpa.toString(16)} is not ${w.alignBytes}-aligned`);
    if (w.sizeBytes >= GiB) assert.equal(w.gpa % GiB, 0n);
    assert.ok(w.gpa >= l.deviceMemoryBase && w.gpa + w.sizeBytes <= limit);
    const next = ws[i + 1];
    if (next) assert.ok(w.gpa + w.sizeBytes <= next.gpa, "windows overlap");
  }
  assert.equal(l.deviceMemoryBase % GiB, 0n);
  assert.ok(l.deviceMemoryBase >= 4n * GiB + l.highRamBytes);
  assert.equal(l.lowRamBytes + l.highRamBytes, l.ramBytes);
  assert.ok(l.maxmemBytes - l.ramBytes >= l.windows.reduce((n, w) => n + w.sizeBytes, 0n), "QEMU's used-size check");
}

const arbPlacements = fc.uniqueArray(
  fc.record({
    slot: fc.nat({ max: 31 }),
    pages: fc.oneof(fc.integer({ min: 1, max: 1 << 16 }), fc.integer({ min: 1 << 18, max: 1 << 21 })),
    labelPages: fc.integer({ min: 32, max: 256 }),
    node: fc.nat({ max: 3 }),
    unarmed: fc.boolean(),
  }),
  { selector: (p) => p.slot, maxLength: 12 },
).map((ps) => ps.map((p) => dimm(p.slot, BigInt(p.pages + p.labelPages) * 4096n, { labelBytes: BigInt(p.labelPages) * 4096n, node: p.node, unarmed: p.unarmed })));

test("property: windows are aligned, disjoint, inside device memory, and covered by maxmem", () => {
  fc.assert(fc.property(fc.integer({ min: 16, max: 16384 }), arbPlacements, (ramMiB, vnvdimms) => {
    checkInvariants(planGuestLayout({ ramBytes: BigInt(ramMiB) * MiB, slots: 32, hotplugReserveBytes: 8n * GiB, vnvdimms }));
  }), { numRuns: 300 });
});

test("property: hotplug and unplug in any order keep the invariants and never move a window", () => {
  fc.assert(fc.property(arbPlacements, fc.array(fc.nat({ max: 31 }), { maxLength: 6 }), (vnvdimms, unplugs) => {
    const [first, ...rest] = [vnvdimms.slice(0, 4), vnvdimms.slice(4)];
    let l = planGuestLayout({ ramBytes: 2n * GiB, slots: 32, hotplugReserveBytes: 64n * GiB, vnvdimms: first ?? [] });
    for (const s of unplugs) l = removeGuestWindow(l, s);
    for (const p of rest.flat()) {
      const before = new Map(l.windows.map((w) => [w.slot, w.gpa]));
      try { l = addGuestWindow(l, p); } catch (e) { assert.ok(e instanceof DeviceModelError); continue; }
      for (const w of l.windows) if (before.has(w.slot)) assert.equal(w.gpa, before.get(w.slot));
      checkInvariants(l);
    }
  }), { numRuns: 300 });
});
