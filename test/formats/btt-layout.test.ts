import { test } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import {
  BTT_ARENA_MAX_BYTES, BTT_ARENA_MIN_BYTES, BTT_LOG_GROUP_BYTES, BTT_SECTOR_SIZES, BttLogEntry, FormatError, buildBttWrites,
  bttLayout, decodeBttSb, openBtt, rawTextToBytes, validateBttSb, type BttVersion, type BttWrites,
} from "../../src/formats/index.js";
import { arrayStore } from "../helpers/byte-store.js";
import { fixtureBytes, manifestCase, type CaseId } from "../helpers/fixtures.js";

const MiB = 1n << 20n;
const GiB = 1n << 30n;

interface SecFixture {
  version: BttVersion; size: bigint; uuid: Uint8Array; parentUuid: Uint8Array;
  first16k: Uint8Array; last4k: Uint8Array; mapFlog: Uint8Array; host: Record<string, number | string>;
  markers: { nsOffset: number; block: Uint8Array }[];
}
function secFixture(c: CaseId): SecFixture {
  const m = manifestCase(c) as ReturnType<typeof manifestCase> & { markers: { namespace: string; namespace_offset: number; in_extract: string; text: string }[] };
  const ns = m.namespaces.find((n) => n.name === "sec")!;
  const host = ns.info_block_host_decode as Record<string, number | string>;
  const blocks = m.markers.filter((k) => k.namespace === ns.dev && k.in_extract.includes(".block-"));
  return {
    version: host["version"] as BttVersion, size: BigInt(ns.size), uuid: rawTextToBytes(host["uuid"] as string), parentUuid: rawTextToBytes(ns.uuid_sysfs_label),
    first16k: fixtureBytes(c, "dimm0.sec.first16k.bin"), last4k: fixtureBytes(c, "dimm0.sec.last4k.bin"), mapFlog: fixtureBytes(c, "dimm0.sec.btt-map-flog.bin"), host,
    markers: blocks.map((k) => ({ nsOffset: k.namespace_offset, block: fixtureBytes(c, k.in_extract.split("/").pop()!) })),
  };
}

/** A whole namespace in memory, with the planned writes applied. */
function image(size: bigint, plan: BttWrites): Uint8Array {
  const img = new Uint8Array(Number(size));
  for (const z of plan.zeroFills) img.fill(0, Number(z.offset), Number(z.offset + z.sizeBytes));
  for (const w of plan.writes) img.set(w.bytes, Number(w.offset));
  return img;
}

/**
 * The guest's `dd` writes as they reached btt.c btt_write_pg on one lane,
 * replayed by the BTT engine (btt-io.ts) over the image: each 4096-byte
 * sector goes to lane 0's free block, its flog entry to the lane's next slot,
 * then the map entry (flags Z and E both set: a normal entry).
 */
function replayWrites(img: Uint8Array, version: BttVersion, writes: { lba: number; text: string }[]): void {
  const dev = openBtt(arrayStore(img), { namespaceSizeBytes: BigInt(img.length), version });
  for (const { lba, text } of writes) {
    const data = new Uint8Array(dev.sectorSize);
    data.set(new TextEncoder().encode(text));
    dev.write(lba, data);
  }
}

/** The guest script's fx_write_markers for "sec": LBA 0, 1, 7, then LBA 0 again, each one 4096-byte sector. */
const GUEST_WRITES = [
  { lba: 0, text: "FX-sec-LBA0-V1" }, { lba: 1, text: "FX-sec-LBA1" }, { lba: 7, text: "FX-sec-LBA7" }, { lba: 0, text: "FX-sec-LBA0-V2" },
];

function differingOffsets(a: Uint8Array, b: Uint8Array): number[] {
  const out: number[] = [];
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) out.push(i);
  return out;
}

for (const c of ["S1", "S2"] as CaseId[]) {
  test(`${c}: bttLayout gives the arena Linux laid out for "sec"`, () => {
    const f = secFixture(c);
    const layout = bttLayout({ namespaceSizeBytes: f.size, sectorSize: 4096, version: f.version });
    assert.equal(layout.arenas.length, 1);
    const a = layout.arenas[0]!;
    assert.equal(a.offsetBytes, BigInt(f.host["namespace_offset"] as number));
    const got = {
      external_lbasize: a.externalLbasize, external_nlba: a.externalNlba, internal_lbasize: a.internalLbasize, internal_nlba: a.internalNlba,
      nfree: a.nfree, infosize: a.infosize, nextoff: Number(a.nextoff), dataoff: Number(a.dataoff), mapoff: Number(a.mapoff),
      logoff: Number(a.logoff), info2off: Number(a.info2off),
    };
    for (const [k, v] of Object.entries(got)) assert.equal(v, f.host[k], k);
    assert.equal(layout.externalNlba, BigInt(f.host["external_nlba"] as number));
  });

  test(`${c}: buildBttWrites reproduces the info blocks, and the map and flog but for the guest's writes`, () => {
    const f = secFixture(c);
    const plan = buildBttWrites({ namespaceSizeBytes: f.size, sectorSize: 4096, version: f.version, uuid: f.uuid, parentUuid: f.parentUuid });
    const a = plan.layout.arenas[0]!;
    const at = Number(a.offsetBytes);
    assert.deepEqual(plan.writes.map((w) => w.what), ["btt arena 0 log", "btt arena 0 backup info block", `btt arena 0 info block (BTT ${f.version})`]);
    const img = image(f.size, plan);
    // Info block at 4096 (BTT 1.1) or 0 (2.0), and its backup in the last 4 KiB, byte for byte.
    assert.deepEqual(img.subarray(at, at + 4096), f.first16k.subarray(at, at + 4096));
    assert.deepEqual(img.subarray(img.length - 4096), f.last4k);
    // Everything in the first 16 KiB but the data blocks the guest wrote: internal blocks 0 and 1
    // (arena + dataoff + 0 and + 4096) hold LBA 1 and LBA 7; see the replay below for why.
    const dataAt = at + Number(a.dataoff);
    const first = img.slice(0, 16384);
    const want = f.first16k.slice();
    want.fill(0, dataAt, dataAt + 2 * 4096);
    assert.deepEqual(first, want);
    // Map and flog: [arena+mapoff, arena+info2off). The guest's four writes, all on lane 0 (one CPU),
    // changed exactly map entries 0, 1 and 7 (identity zeros → 0xc0000000|postmap) and the first two
    // entries of lane 0's log group (flog slots 0 and 1); every other map entry is still 0 (identity)
    // and every other lane still holds btt_log_init's {lane, nlba+lane, nlba+lane, seq 1}.
    const ours = img.subarray(at + Number(a.mapoff), at + Number(a.info2off));
    assert.equal(ours.length, f.mapFlog.length);
    const mapBytes = Number(a.logoff - a.mapoff);
    const diff = differingOffsets(ours, f.mapFlog);
    const mapEntries = [...new Set(diff.filter((o) => o < mapBytes).map((o) => o >> 2))];
    const logBytes = diff.filter((o) => o >= mapBytes).map((o) => o - mapBytes);
    assert.deepEqual(mapEntries, [0, 1, 7]);
    assert.ok(logBytes.length > 0 && logBytes.every((o) => o < 2 * BttLogEntry.size), `log bytes ${logBytes.join(",")}`);
  });

  test(`${c}: replaying the guest's four sector writes on our layout gives the fixture byte for byte`, () => {
    const f = secFixture(c);
    const plan = buildBttWrites({ namespaceSizeBytes: f.size, sectorSize: 4096, version: f.version, uuid: f.uuid, parentUuid: f.parentUuid });
    const a = plan.layout.arenas[0]!;
    const img = image(f.size, plan);
    replayWrites(img, f.version, GUEST_WRITES);
    const at = Number(a.offsetBytes);
    assert.deepEqual(img.subarray(0, 16384), f.first16k);
    assert.deepEqual(img.subarray(at + Number(a.mapoff), at + Number(a.info2off)), f.mapFlog);
    assert.deepEqual(img.subarray(img.length - 4096), f.last4k);
    // The two marker blocks outside the extracts: LBA 0's first copy went to free block nlba+0, its second to block 7.
    assert.equal(f.markers.length, 2);
    for (const m of f.markers) assert.deepEqual(img.subarray(m.nsOffset, m.nsOffset + 4096), m.block, `block at ${m.nsOffset}`);
  });
}

test("log entries are 16 bytes, four to a 64-byte lane (btt.h struct log_entry, log_group)", () => {
  assert.equal(BttLogEntry.size, 16);
  assert.equal(4 * BttLogEntry.size, BTT_LOG_GROUP_BYTES);
});

test("arenas: at most 512 GiB each; a tail under 16 MiB is left unused", () => {
  const one = bttLayout({ namespaceSizeBytes: BTT_ARENA_MAX_BYTES + 8n * MiB, sectorSize: 512, version: "2.0" });
  assert.equal(one.arenas.length, 1);
  assert.equal(one.arenas[0]!.nextoff, 0n);
  assert.equal(one.arenas[0]!.sizeBytes, BTT_ARENA_MAX_BYTES);
  const two = bttLayout({ namespaceSizeBytes: BTT_ARENA_MAX_BYTES + 4096n + 32n * MiB, sectorSize: 4096, version: "1.1" });
  assert.deepEqual(two.arenas.map((a) => [a.offsetBytes, a.sizeBytes, a.nextoff]), [
    [4096n, BTT_ARENA_MAX_BYTES, BTT_ARENA_MAX_BYTES], [4096n + BTT_ARENA_MAX_BYTES, 32n * MiB, 0n],
  ]);
  assert.equal(two.arenas[1]!.externalLbaStart, BigInt(two.arenas[0]!.externalNlba));
  assert.equal(two.externalNlba, BigInt(two.arenas[0]!.externalNlba + two.arenas[1]!.externalNlba));
  // Internal blocks are rounded up to 64 bytes (INT_LBASIZE_ALIGNMENT).
  assert.equal(bttLayout({ namespaceSizeBytes: 64n * MiB, sectorSize: 520, version: "2.0" }).arenas[0]!.internalLbasize, 576);
});

test("bttLayout refuses what Linux refuses, with typed errors", () => {
  const code = (f: () => unknown): string => {
    try { f(); } catch (e) { assert.ok(e instanceof FormatError); return e.code; }
    return "no error";
  };
  // nvdimm_namespace_attach_btt: rawsize = size − initial offset must reach ARENA_MIN_SIZE.
  assert.equal(code(() => bttLayout({ namespaceSizeBytes: 16n * MiB, sectorSize: 4096, version: "1.1" })), "btt.too-small");
  assert.equal(bttLayout({ namespaceSizeBytes: 16n * MiB, sectorSize: 4096, version: "2.0" }).arenas.length, 1);
  assert.equal(code(() => bttLayout({ namespaceSizeBytes: 64n * MiB, sectorSize: 1000, version: "2.0" })), "btt.lbasize");
  assert.equal(code(() => bttLayout({ namespaceSizeBytes: BTT_ARENA_MIN_BYTES - 1n, sectorSize: 512, version: "2.0" })), "btt.too-small");
});

test("property: every layout validates, fits the namespace, and its writes never overlap", () => {
  fc.assert(fc.property(
    fc.bigInt({ min: 16n * MiB, max: 1100n * GiB }), fc.constantFrom(...BTT_SECTOR_SIZES), fc.constantFrom<BttVersion>("1.1", "2.0"),
    (size, sectorSize, version) => {
      let plan: BttWrites;
      try {
        plan = buildBttWrites({ namespaceSizeBytes: size, sectorSize, version, uuid: new Uint8Array(16).fill(1), parentUuid: new Uint8Array(16).fill(2) });
      } catch (e) {
        assert.ok(e instanceof FormatError && e.code === "btt.too-small" && size - (version === "1.1" ? 4096n : 0n) < BTT_ARENA_MIN_BYTES);
        return;
      }
      let end = plan.layout.initialOffsetBytes;
      for (const a of plan.layout.arenas) {
        assert.equal(a.offsetBytes, end);
        end += a.sizeBytes;
        assert.ok(a.info2off + 4096n <= a.sizeBytes);
      }
      assert.ok(end <= size);
      const ranges = [
        ...plan.writes.map((w) => [w.offset, w.offset + BigInt(w.bytes.length)] as const),
        ...plan.zeroFills.map((z) => [z.offset, z.offset + z.sizeBytes] as const),
      ].sort((x, y) => (x[0] < y[0] ? -1 : 1));
      for (let i = 0; i < ranges.length; i++) {
        assert.ok(ranges[i]![0] >= 0n && ranges[i]![1] <= size);
        if (i > 0) assert.ok(ranges[i - 1]![1] <= ranges[i]![0], "writes overlap");
      }
      for (const w of plan.writes.filter((x) => x.what.includes("info block"))) {
        const arena = plan.layout.arenas.find((a) => w.offset === a.offsetBytes || w.offset === a.offsetBytes + a.info2off)!;
        assert.deepEqual(validateBttSb(w.bytes, { version, arenaOffsetBytes: arena.offsetBytes, namespaceSizeBytes: size }), []);
        assert.equal(decodeBttSb(w.bytes).externalLbasize, sectorSize);
      }
    }), { numRuns: 150 });
});
