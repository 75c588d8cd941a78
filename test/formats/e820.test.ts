import { test } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import {
  E820Entry, E820Type, checkE820Entries, decodeE820, e820TypeName, encodeE820, isE820Pmem, type E820EntryFields,
} from "../../src/formats/index.js";
import { fixtureBytes } from "../helpers/fixtures.js";

const codes = (rs: readonly { code: string }[]) => rs.map((r) => r.code);
const u64 = fc.bigInt({ min: 0n, max: (1n << 64n) - 1n });

/** The BIOS-e820 lines a real guest printed (SeaBIOS under QEMU), as entries. */
function dmesgMap(): { entries: E820EntryFields[]; names: string[] } {
  const text = new TextDecoder().decode(fixtureBytes("S1", "ground-truth/dmesg.txt"));
  const entries: E820EntryFields[] = [];
  const names: string[] = [];
  for (const m of text.matchAll(/BIOS-e820: \[mem (0x[0-9a-f]+)-(0x[0-9a-f]+)\] (.+)$/gm)) {
    const addr = BigInt(m[1]!);
    const name = m[3]!.trim();
    entries.push({ addr, sizeBytes: BigInt(m[2]!) - addr + 1n, type: name === "usable" ? E820Type.ram : E820Type.reserved });
    names.push(name);
  }
  return { entries, names };
}

test("entry layout: 20 bytes, addr/size/type (Linux struct e820_entry)", () => {
  assert.equal(E820Entry.size, 20);
  assert.deepEqual([E820Entry.offsetOf("addr"), E820Entry.offsetOf("sizeBytes"), E820Entry.offsetOf("type")], [0, 8, 16]);
  assert.deepEqual(E820Type, { ram: 1, reserved: 2, acpi: 3, nvs: 4, unusable: 5, disabled: 6, pmem: 7, legacyPmem: 12 });
});

test("golden bytes: one pmem entry", () => {
  const bytes = encodeE820([{ addr: 0x1_0000_0000n, sizeBytes: 0x1000_0000n, type: E820Type.pmem }]);
  assert.deepEqual([...bytes], [0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0x10, 0, 0, 0, 0, 7, 0, 0, 0]);
});

test("the fixture guest's BIOS map round-trips, with Linux's type names and no reasons", () => {
  const { entries, names } = dmesgMap();
  assert.equal(entries.length, 7);
  const bytes = encodeE820(entries);
  assert.equal(bytes.length, 7 * 20);
  const d = decodeE820(bytes);
  assert.deepEqual(d.reasons, []);
  assert.deepEqual(d.entries, entries);
  assert.deepEqual(d.entries.map((e) => e820TypeName(e.type)), names);
});

test("type names and pmem types", () => {
  assert.equal(e820TypeName(7), "persistent (type 7)");
  assert.equal(e820TypeName(12), "persistent (type 12)");
  assert.equal(e820TypeName(99), "type 99");
  assert.deepEqual([1, 2, 3, 4, 5, 6, 7, 12].filter(isE820Pmem), [7, 12]);
});

test("each reason: length, zero size, overflow, overlap", () => {
  const ok = encodeE820([{ addr: 0n, sizeBytes: 0x1000n, type: 1 }, { addr: 0x1000n, sizeBytes: 0x1000n, type: 7 }]);
  assert.deepEqual(decodeE820(ok).reasons, []);

  const long = new Uint8Array(ok.length + 3); long.set(ok);
  const dl = decodeE820(long);
  assert.deepEqual(codes(dl.reasons), ["e820.length"]);
  assert.equal(dl.entries.length, 2);
  assert.deepEqual(dl.reasons[0], { ...dl.reasons[0], bytes: 43, trailing: 3 });

  assert.deepEqual(codes(checkE820Entries([{ addr: 0x5000n, sizeBytes: 0n, type: 1 }])), ["e820.zero-size"]);
  const over = checkE820Entries([{ addr: 0xffff_ffff_ffff_f000n, sizeBytes: 0x2000n, type: 2 }]);
  assert.deepEqual(codes(over), ["e820.overflow"]);
  assert.deepEqual(over[0], { ...over[0], index: 0, addr: "0xfffffffffffff000", sizeBytes: "0x2000" });

  const lap = checkE820Entries([{ addr: 0x2000n, sizeBytes: 0x1000n, type: 7 }, { addr: 0n, sizeBytes: 0x2800n, type: 1 }]);
  assert.deepEqual(codes(lap), ["e820.overlap"]);
  assert.deepEqual(lap[0], { ...lap[0], index: 0, other: 1 });
  // An entry ending exactly where the next starts does not overlap; an empty entry never does.
  assert.deepEqual(checkE820Entries([{ addr: 0n, sizeBytes: 0x1000n, type: 1 }, { addr: 0x1000n, sizeBytes: 0x1000n, type: 1 }]), []);
  assert.deepEqual(codes(checkE820Entries([{ addr: 0n, sizeBytes: 0x1000n, type: 1 }, { addr: 0x800n, sizeBytes: 0n, type: 1 }])), ["e820.zero-size"]);
  // An overflowing entry still overlaps what lies above its start.
  assert.deepEqual(codes(checkE820Entries([{ addr: 0xffff_ffff_0000_0000n, sizeBytes: 0xffff_ffff_ffff_ffffn, type: 2 }, { addr: 0xffff_ffff_f000_0000n, sizeBytes: 0x1000n, type: 1 }])), ["e820.overflow", "e820.overlap"]);
});

test("property: decode ∘ encode is the identity", () => {
  const entry = fc.record({ addr: u64, sizeBytes: u64, type: fc.integer({ min: 0, max: 0xffff_ffff }) }, { noNullPrototype: true });
  fc.assert(fc.property(fc.array(entry, { maxLength: 12 }), (entries) => {
    const bytes = encodeE820(entries);
    assert.equal(bytes.length, 20 * entries.length);
    const d = decodeE820(bytes);
    assert.deepEqual(d.entries, entries);
    assert.deepEqual(encodeE820(d.entries), bytes);
  }));
});

test("property: back-to-back ranges in any order never overlap; shifting one into its neighbour does", () => {
  const sizes = fc.array(fc.bigInt({ min: 1n, max: 1n << 40n }), { minLength: 2, maxLength: 10 });
  fc.assert(fc.property(sizes, fc.nat(), (ss, seed) => {
    let addr = 0n;
    const entries = ss.map((sizeBytes, i) => { const e = { addr, sizeBytes, type: i % 2 ? 7 : 1 }; addr += sizeBytes; return e; });
    const shuffled = entries.map((e, i) => ({ e, k: (i * 7 + seed) % 11 })).sort((a, b) => a.k - b.k).map((x) => x.e);
    assert.deepEqual(checkE820Entries(shuffled), []);
    const moved = entries.map((e, i) => (i === 1 ? { ...e, addr: e.addr - 1n } : e));
    assert.deepEqual(codes(checkE820Entries(moved)), ["e820.overlap"]);
  }));
});

test("property: decodeE820 never throws and its reasons are JSON-safe", () => {
  fc.assert(fc.property(fc.uint8Array({ maxLength: 250 }), (b) => {
    const d = decodeE820(b);
    assert.equal(d.entries.length, Math.floor(b.length / 20));
    JSON.stringify(d.reasons);
  }));
});
