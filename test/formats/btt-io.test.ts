import { test } from "node:test";
import assert from "node:assert/strict";
import { closeSync, mkdtempSync, openSync, readSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import fc from "fast-check";
import {
  BTT_ARENA_MAX_BYTES, BTT_LOG_GROUP_BYTES, BTT_MAP_FLAGS, BTT_SECTOR_SIZES, BttLogEntry, FormatError, buildBttWrites, decodeBttSb,
  encodeBttSb, openBtt, rawTextToBytes, validateBttSb, type BttDevice, type BttVersion, type OpenBttOptions,
} from "../../src/formats/index.js";
import { SparseStore } from "../helpers/byte-store.js";
import { manifestCase, fixtureBytes, type CaseId } from "../helpers/fixtures.js";
import { rebuildImage } from "../helpers/images.js";

const MiB = 1n << 20n;
const UUID = new Uint8Array(16).fill(0x11);
const PARENT = new Uint8Array(16).fill(0x22);

function errorCode(f: () => unknown): string {
  try { f(); } catch (e) {
    assert.ok(e instanceof FormatError, `expected a FormatError, got ${String(e)}`);
    return e.code;
  }
  return "no error";
}

/** A namespace holding a fresh BTT, as buildBttWrites lays it out (the zero fills are already zero). */
function freshBtt(namespaceSizeBytes: bigint, sectorSize: number, version: BttVersion): SparseStore {
  const plan = buildBttWrites({ namespaceSizeBytes, sectorSize, version, uuid: UUID, parentUuid: PARENT });
  return SparseStore.withWrites(namespaceSizeBytes, plan.writes);
}

function open(store: SparseStore, extra: Partial<OpenBttOptions> = {}): BttDevice {
  return openBtt(store, { namespaceSizeBytes: store.sizeBytes, ...extra });
}

/** A sector no other call with a different `stamp` produces: the stamp, the lba, then a pattern. */
function sectorData(size: number, lba: bigint, stamp: number): Uint8Array {
  const d = new Uint8Array(size);
  for (let i = 0; i < size; i++) d[i] = (stamp * 7 + i * 13 + Number(lba & 0xffn)) & 0xff;
  new DataView(d.buffer).setUint32(0, stamp, true);
  new DataView(d.buffer).setUint32(4, Number(lba & 0xffff_ffffn), true);
  return d;
}

/** Every LBA of the model reads back as written; the others read as zeros (probing a few). */
function checkModel(dev: BttDevice, model: Map<bigint, Uint8Array>, probes: bigint[] = []): void {
  for (const [lba, data] of model) assert.deepEqual(dev.read(lba), data, `lba ${lba}`);
  const zero = new Uint8Array(dev.sectorSize);
  for (const lba of probes) if (lba >= 0n && lba < dev.nlba && !model.has(lba)) assert.deepEqual(dev.read(lba), zero, `unwritten lba ${lba}`);
}

/**
 * The BTT invariant, on the media: per arena, the map's targets (identity for a
 * zero entry) and the lanes' free blocks are the internal blocks, each once.
 */
function checkBijection(dev: BttDevice, store: SparseStore): void {
  dev.arenas.forEach((a, i) => {
    const seen = new Uint8Array(a.internalNlba);
    const claim = (block: number, who: string): void => {
      assert.ok(block < a.internalNlba, `${who} names block ${block} ≥ ${a.internalNlba}`);
      assert.equal(seen[block], 0, `${who}: block ${block} claimed twice`);
      seen[block] = 1;
    };
    const map = store.read(a.offsetBytes + a.mapoff, a.externalNlba * 4);
    const dv = new DataView(map.buffer, map.byteOffset, map.byteLength);
    for (let premap = 0; premap < a.externalNlba; premap++) {
      const raw = dv.getUint32(premap * 4, true);
      const flags = (raw & BTT_MAP_FLAGS.normal) >>> 0;
      assert.ok(flags === 0 || flags === BTT_MAP_FLAGS.normal, `arena ${i} lba ${premap}: flags ${flags}`);
      claim(flags === 0 ? premap : raw & 0x3fff_ffff, `arena ${i} lba ${premap}`);
    }
    dev.freeBlocks(i).forEach((b, lane) => claim(b, `arena ${i} lane ${lane}`));
  });
}

/** Both info blocks of every arena still validate. */
function checkInfoBlocks(dev: BttDevice, store: SparseStore): void {
  for (const a of dev.arenas) {
    for (const at of [a.offsetBytes, a.offsetBytes + a.info2off]) {
      assert.deepEqual(validateBttSb(store.read(at, 4096), { version: dev.version, arenaOffsetBytes: a.offsetBytes, namespaceSizeBytes: store.sizeBytes }), []);
    }
  }
}

function lane0(dev: BttDevice, store: SparseStore, arena = 0): ReturnType<typeof BttLogEntry.decode>[] {
  const a = dev.arenas[arena]!;
  const g = store.read(a.offsetBytes + a.logoff, BTT_LOG_GROUP_BYTES);
  return [0, 1, 2, 3].map((s) => BttLogEntry.decode(g, s * BttLogEntry.size));
}

// (a) The fixture guests' sector namespace, read back through the engine.
type Marker = { namespace: string; namespace_offset: number; in_extract: string; offset_in_extract: number; text: string };
for (const c of ["S1", "S2"] as CaseId[]) {
  test(`${c}: LBAs 0, 1 and 7 of "sec" on the rebuilt image hold the guest's last writes`, () => {
    const m = manifestCase(c) as ReturnType<typeof manifestCase> & { markers: Marker[] };
    const ns = m.namespaces.find((n) => n.name === "sec")!;
    assert.equal((ns as unknown as { file_offset: number }).file_offset, 0xa000000);
    const dir = mkdtempSync(join(tmpdir(), "vnvdimm-btt-io-"));
    try {
      const fd = openSync(rebuildImage(c, dir), "r");
      const bytes = new Uint8Array(ns.size);
      try { assert.equal(readSync(fd, bytes, 0, ns.size, 0xa000000), ns.size); } finally { closeSync(fd); }
      const store = SparseStore.from(bytes);
      const dev = openBtt(store, { namespaceSizeBytes: BigInt(ns.size), parentUuid: rawTextToBytes(ns.uuid_sysfs_label) });
      assert.equal(dev.version, (ns.info_block_host_decode as { version: string }).version);
      assert.equal(dev.sectorSize, 4096);
      assert.equal(dev.nlba, BigInt((ns.info_block_host_decode as { external_nlba: number }).external_nlba));
      assert.deepEqual([dev.reasons, dev.recovered], [[], []]);
      const markers = m.markers.filter((k) => k.namespace === ns.dev);
      assert.deepEqual(markers.map((k) => k.text).sort(), ["FX-sec-LBA0-V1", "FX-sec-LBA0-V2", "FX-sec-LBA1", "FX-sec-LBA7"]);
      const text = (b: Uint8Array): string => new TextDecoder().decode(b.subarray(0, b.indexOf(0)));
      for (const k of markers.filter((x) => x.text !== "FX-sec-LBA0-V1")) {
        const lba = Number(/-LBA(\d+)/.exec(k.text)![1]);
        const sector = dev.read(lba);
        assert.equal(text(sector), k.text);
        // The whole sector, as stored in the extract that holds the marker, and where the map says it is.
        const extract = fixtureBytes(c, k.in_extract.split("/").pop()!);
        assert.deepEqual(sector, extract.subarray(k.offset_in_extract, k.offset_in_extract + 4096), k.text);
        assert.equal(dev.lookup(lba).dataOffsetBytes, BigInt(k.namespace_offset));
      }
      // LBA 0 was written twice; its first copy is still on the media, in a block that is now free.
      const v1 = markers.find((k) => k.text === "FX-sec-LBA0-V1")!;
      assert.notEqual(text(dev.read(0)), v1.text);
      assert.ok(dev.freeBlocks(0).some((b) => dev.arenas[0]!.offsetBytes + dev.arenas[0]!.dataoff + BigInt(b) * 4096n === BigInt(v1.namespace_offset)));
      assert.deepEqual(dev.read(0, 8).subarray(2 * 4096, 7 * 4096), new Uint8Array(5 * 4096));
      // Read-only gives the same, without a single write.
      const before = store.writeCalls;
      assert.deepEqual(openBtt(store, { namespaceSizeBytes: BigInt(ns.size), readOnly: true }).read(0, 8), dev.read(0, 8));
      assert.equal(store.writeCalls, before);
      assert.equal(errorCode(() => openBtt(store, { namespaceSizeBytes: BigInt(ns.size), parentUuid: PARENT })), "btt.parent-uuid");
      const other: BttVersion = dev.version === "1.1" ? "2.0" : "1.1";
      assert.notEqual(errorCode(() => openBtt(store, { namespaceSizeBytes: BigInt(ns.size), version: other })), "no error");
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
}

// (b) A fresh BTT, written and read back against a model.
const writeOp = fc.record({
  kind: fc.constant("write" as const),
  // Mostly a handful of LBAs, so that each is rewritten many times (seq 1 → 2 → 3 → 1 and freed blocks reused).
  lba: fc.oneof({ weight: 3, arbitrary: fc.integer({ min: 0, max: 5 }) }, { weight: 1, arbitrary: fc.integer({ min: 0, max: 2 ** 30 }) }),
  count: fc.integer({ min: 1, max: 3 }),
});
const reopenOp = fc.record({ kind: fc.constant("reopen" as const) });
type Op = { kind: "write"; lba: number; count: number } | { kind: "reopen" };

/** Applies the ops to the device (reopening on "reopen") and the model; returns the device last used. */
function run(store: SparseStore, dev: BttDevice, ops: Op[], model: Map<bigint, Uint8Array>, stamp: { n: number }): BttDevice {
  for (const op of ops) {
    if (op.kind === "reopen") { dev = open(store); continue; }
    const first = BigInt(op.lba) % (dev.nlba - BigInt(op.count) + 1n);
    const data = new Uint8Array(op.count * dev.sectorSize);
    for (let i = 0; i < op.count; i++) data.set(sectorData(dev.sectorSize, first + BigInt(i), ++stamp.n), i * dev.sectorSize);
    dev.write(first, data);
    for (let i = 0; i < op.count; i++) model.set(first + BigInt(i), data.slice(i * dev.sectorSize, (i + 1) * dev.sectorSize));
  }
  return dev;
}

test("property: writes read back as the model says, the map stays a bijection and the info blocks stay valid", () => {
  fc.assert(fc.property(
    fc.constantFrom<BttVersion>("1.1", "2.0"), fc.constantFrom(...BTT_SECTOR_SIZES), fc.integer({ min: 0, max: 4 }),
    fc.array(fc.oneof({ weight: 6, arbitrary: writeOp }, { weight: 1, arbitrary: reopenOp }), { maxLength: 40 }),
    (version, lbasize, extraMiB, ops) => {
      const store = freshBtt(16n * MiB + 4096n + BigInt(extraMiB) * MiB, lbasize, version);
      const model = new Map<bigint, Uint8Array>();
      const dev = run(store, open(store), ops, model, { n: 0 });
      assert.equal(dev.sectorSize, lbasize >= 4096 ? 4096 : 512);
      assert.equal(dev.externalLbasize, lbasize);
      const reopened = open(store);
      for (const d of [dev, reopened]) {
        checkModel(d, model, [0n, 1n, 6n, 7n, d.nlba - 1n]);
        assert.deepEqual(d.reasons, []);
      }
      assert.deepEqual(reopened.recovered, []);
      assert.deepEqual(reopened.freeBlocks(0), dev.freeBlocks(0));
      checkBijection(reopened, store);
      checkInfoBlocks(reopened, store);
    }), { numRuns: 60 });
});

test("one LBA rewritten 20 times: the lane's slots alternate, seq runs 2, 3, 1, 2, …, and a reopen finds the same free block", () => {
  const store = freshBtt(16n * MiB, 4096, "2.0");
  let dev = open(store);
  const a = dev.arenas[0]!;
  assert.deepEqual(dev.freeBlocks(0), Array.from({ length: 256 }, (_, i) => a.externalNlba + i));
  let previous = 3; // the block LBA 3 starts on (identity)
  for (let n = 1; n <= 20; n++) {
    const data = sectorData(4096, 3n, n);
    const free = dev.freeBlocks(0)[0]!;
    dev.write(3, data);
    const log = lane0(dev, store);
    const slot = n % 2; // slot 0 held btt_log_init's entry, so the first write goes to slot 1
    assert.deepEqual(log[slot], { lba: 3, oldMap: previous, newMap: free, seq: [1, 2, 3][n % 3]! }, `write ${n}`);
    assert.deepEqual(log[2], { lba: 0, oldMap: 0, newMap: 0, seq: 0 });
    assert.equal(dev.lookup(3).postmap, free);
    assert.equal(dev.freeBlocks(0)[0], previous);
    previous = free;
    const freeNow = dev.freeBlocks(0);
    if (n % 4 === 0) dev = open(store);
    assert.deepEqual(dev.freeBlocks(0), freeNow);
    assert.deepEqual(dev.read(3), data);
  }
  checkBijection(dev, store);
  checkInfoBlocks(dev, store);
});

test("a namespace past 512 GiB has two arenas; LBAs route by arena and writes may straddle the boundary", () => {
  const size = BTT_ARENA_MAX_BYTES + 4096n + 32n * MiB;
  const store = freshBtt(size, 4096, "1.1");
  const dev = open(store);
  const plan = buildBttWrites({ namespaceSizeBytes: size, sectorSize: 4096, version: "1.1", uuid: UUID, parentUuid: PARENT });
  assert.deepEqual(dev.arenas, plan.layout.arenas.map((a) => ({ ...a, flags: 0, logIndex: [0, 1] })));
  assert.equal(dev.nlba, plan.layout.externalNlba);
  const [a0, a1] = dev.arenas as [typeof dev.arenas[0], typeof dev.arenas[0]];
  const boundary = BigInt(a0.externalNlba);
  const model = new Map<bigint, Uint8Array>();
  const put = (lba: bigint, count: number, stamp: number): void => {
    const data = new Uint8Array(count * 4096);
    for (let i = 0; i < count; i++) { data.set(sectorData(4096, lba + BigInt(i), stamp + i), i * 4096); model.set(lba + BigInt(i), data.slice(i * 4096, (i + 1) * 4096)); }
    dev.write(lba, data);
  };
  put(boundary - 2n, 4, 100);
  put(dev.nlba - 1n, 1, 200);
  put(0n, 1, 300);
  put(boundary, 1, 400);
  checkModel(dev, model, [boundary - 3n, boundary + 2n, dev.nlba - 2n]);
  // Each arena has its own lane 0: the first sector takes the reserved free block, the next one the block it freed.
  assert.deepEqual(dev.lookup(boundary - 1n), { arena: 0, premap: a0.externalNlba - 1, postmap: a0.externalNlba - 2, state: "normal", dataOffsetBytes: a0.offsetBytes + a0.dataoff + BigInt(a0.externalNlba - 2) * 4096n });
  assert.deepEqual(dev.lookup(boundary + 1n), { arena: 1, premap: 1, postmap: 0, state: "normal", dataOffsetBytes: a1.offsetBytes + a1.dataoff });
  // Arena 1 saw premap 0, 1, its last, then 0 again: seq 2, 3, 1, 2 in slots 1, 0, 1, 0.
  assert.deepEqual(lane0(dev, store, 1)[0], { lba: 0, oldMap: a1.externalNlba, newMap: a1.externalNlba - 1, seq: 2 });
  checkModel(open(store), model);
  checkInfoBlocks(dev, store);
  assert.equal(errorCode(() => dev.read(dev.nlba)), "btt.lba-range");
  assert.equal(errorCode(() => dev.write(dev.nlba - 1n, new Uint8Array(8192))), "btt.lba-range");
  assert.deepEqual(store.outOfRange, []);
});

// (c) Crash safety: the store dies after N writes, for every N.
test("property: a write cut short after any number of store writes leaves each sector old or new, and the BTT usable", () => {
  fc.assert(fc.property(
    fc.constantFrom<BttVersion>("1.1", "2.0"), fc.constantFrom(512, 4096), fc.array(writeOp, { maxLength: 12 }),
    fc.integer({ min: 0, max: 5 }), fc.integer({ min: 1, max: 3 }), fc.boolean(), fc.array(writeOp, { maxLength: 6 }),
    (version, lbasize, history, crashLba, crashCount, tear, after) => {
      const base = freshBtt(16n * MiB + 4096n, lbasize, version);
      const model = new Map<bigint, Uint8Array>();
      const stamp = { n: 0 };
      run(base, open(base), history, model, stamp);
      const ss = lbasize >= 4096 ? 4096 : 512;
      const lbas = Array.from({ length: crashCount }, (_, i) => BigInt(crashLba + i));
      const next = new Uint8Array(crashCount * ss);
      lbas.forEach((lba, i) => next.set(sectorData(ss, lba, 1_000_000 + i), i * ss));
      for (let n = 0; ; n++) {
        const store = base.clone();
        const dev = open(store);
        store.failAtWrite = store.writeCalls + n;
        store.tearFailingWrite = tear;
        try {
          dev.write(crashLba, next);
        } catch (e) {
          assert.match(String(e), /injected crash/);
          assert.equal(errorCode(() => dev.write(0, new Uint8Array(ss))), "btt.write-failed");
          // A crash in the recovery itself changes nothing: the next open does it again.
          store.failAtWrite = store.writeCalls;
          store.tearFailingWrite = false;
          try { open(store); } catch (e2) { assert.match(String(e2), /injected crash/); }
          store.failAtWrite = undefined;
          const back = open(store);
          // Sectors finish in order: new ones, then at most the one cut short (old or new), then old ones.
          const isNew = lbas.map((lba, i) => {
            const got = back.read(lba);
            const neu = next.subarray(i * ss, (i + 1) * ss);
            const old = model.get(lba) ?? new Uint8Array(ss);
            assert.ok(Buffer.from(got).equals(neu) || Buffer.from(got).equals(old), `n=${n}: lba ${lba} is neither old nor new`);
            return Buffer.from(got).equals(neu);
          });
          assert.deepEqual(isNew, [...isNew].sort((x, y) => Number(y) - Number(x)), `n=${n}: ${isNew.join(",")}`);
          const m2 = new Map(model);
          lbas.forEach((lba, i) => { if (isNew[i]) m2.set(lba, next.slice(i * ss, (i + 1) * ss)); });
          checkModel(back, m2, [...lbas, 6n]);
          // The BTT goes on working: more writes, then everything still reads back and the blocks still add up.
          const last = run(store, back, after, m2, { n: stamp.n + 100 });
          checkModel(open(store), m2);
          checkBijection(last, store);
          assert.deepEqual(store.outOfRange, []);
          continue;
        }
        // n reached the number of writes the whole transaction makes: 4 per sector (data, two flog halves, map).
        assert.equal(n, 4 * crashCount);
        return;
      }
    }), { numRuns: 40 });
});

test("a write cut between its flog and map writes: a read-only open shows the old sector, a normal open finishes the write", () => {
  const base = freshBtt(16n * MiB, 4096, "2.0");
  const dev = open(base);
  const old = sectorData(4096, 9n, 1);
  dev.write(9, old);
  const store = base.clone();
  const d2 = open(store);
  store.failAtWrite = store.writeCalls + 3;
  assert.throws(() => d2.write(9, sectorData(4096, 9n, 2)), /injected crash/);
  store.failAtWrite = undefined;
  const calls = store.writeCalls;
  const ro = open(store, { readOnly: true });
  assert.equal(store.writeCalls, calls);
  assert.deepEqual(ro.read(9), old);
  assert.equal(ro.recovered.length, 1);
  assert.deepEqual({ ...ro.recovered[0], newMap: 0 }, { arena: 0, lane: 0, lba: 9, oldMap: dev.lookup(9).postmap, newMap: 0, applied: false });
  assert.equal(errorCode(() => ro.write(9, old)), "btt.read-only");
  const rw = open(store);
  assert.equal(rw.recovered[0]?.applied, true);
  assert.deepEqual(rw.read(9), sectorData(4096, 9n, 2));
  assert.deepEqual(open(store).recovered, []);
  checkBijection(rw, store);
});

// (d) Hostile media.
function writeU32(store: SparseStore, at: bigint, value: number): void {
  const b = new Uint8Array(4);
  new DataView(b.buffer).setUint32(0, value >>> 0, true);
  store.write(at, b);
}

function usedBtt(): { store: SparseStore; dev: BttDevice; model: Map<bigint, Uint8Array> } {
  const store = freshBtt(16n * MiB, 4096, "2.0");
  const model = new Map<bigint, Uint8Array>();
  const dev = run(store, open(store), [0, 1, 2, 3, 4, 5, 6, 0, 1].map((lba) => ({ kind: "write" as const, lba, count: 1 })), model, { n: 0 });
  return { store, dev, model };
}

test("map entries past the arena are typed errors, never a store access outside the namespace", () => {
  const { store, dev, model } = usedBtt();
  const a = dev.arenas[0]!;
  const entry = (lba: number): bigint => a.offsetBytes + a.mapoff + BigInt(lba * 4);
  writeU32(store, entry(5), BTT_MAP_FLAGS.normal | a.internalNlba);
  writeU32(store, entry(6), BTT_MAP_FLAGS.normal | 0x3fff_ffff);
  writeU32(store, entry(100), 0x3fff_ffff); // no flags: the identity entry, whatever the block bits say
  const d = open(store);
  assert.equal(errorCode(() => d.read(5)), "btt.map-range");
  assert.equal(errorCode(() => d.read(4, 3)), "btt.map-range");
  assert.equal(errorCode(() => d.write(6, new Uint8Array(4096))), "btt.map-range");
  assert.deepEqual(d.read(100), new Uint8Array(4096));
  assert.equal(d.lookup(100).postmap, 100);
  // The refused write touched only the free block; the device goes on.
  d.write(7, sectorData(4096, 7n, 99));
  model.set(7n, sectorData(4096, 7n, 99));
  model.delete(5n); model.delete(6n);
  checkModel(d, model);
  checkModel(open(store), model);
  assert.deepEqual(store.outOfRange, []);
});

test("map flags: E reads as a media error until rewritten (the freed block is zeroed, as Linux clears it); Z reads as zeros", () => {
  const { store, dev, model } = usedBtt();
  const a = dev.arenas[0]!;
  const entry = (lba: number): bigint => a.offsetBytes + a.mapoff + BigInt(lba * 4);
  const bad = dev.lookup(2).postmap;
  writeU32(store, entry(2), BTT_MAP_FLAGS.error | bad);
  writeU32(store, entry(3), BTT_MAP_FLAGS.trim | dev.lookup(3).postmap);
  const d = open(store);
  assert.equal(d.lookup(2).state, "error");
  assert.equal(errorCode(() => d.read(2)), "btt.media-error");
  assert.deepEqual(d.read(3), new Uint8Array(4096));
  assert.equal(d.lookup(3).state, "trim");
  const data = sectorData(4096, 2n, 77);
  d.write(2, data);
  assert.deepEqual(d.read(2), data);
  assert.equal(d.freeBlocks(0)[0], bad);
  assert.deepEqual(store.read(a.offsetBytes + a.dataoff + BigInt(bad) * 4096n, 4096), new Uint8Array(4096));
  // The log's old_map carries the E bit (set_e_flag); the next open sees it and clears the block again.
  const slot = lane0(d, store).find((e) => e.lba === 2 && e.newMap !== bad)!;
  assert.equal(slot.oldMap, (BTT_MAP_FLAGS.error | bad) >>> 0);
  const d2 = open(store);
  assert.equal(d2.freeBlocks(0)[0], bad);
  model.set(2n, data);
  model.set(3n, new Uint8Array(4096));
  checkModel(d2, model);
});

test("a hostile flog: typed errors at open or on write, and no write reaches the store", () => {
  const setLane = (store: SparseStore, dev: BttDevice, lane: number, slot: number, e: Parameters<typeof BttLogEntry.encode>[0]): void => {
    const a = dev.arenas[0]!;
    store.write(a.offsetBytes + a.logoff + BigInt(lane * 64 + slot * 16), BttLogEntry.encode(e));
  };
  {
    // Lane 0's free block past the arena: reads work, the write is refused before any store write.
    const { store, dev, model } = usedBtt();
    const newest = lane0(dev, store).findIndex((e) => e.lba === 1 && e.newMap === dev.lookup(1).postmap); // the ninth write, to LBA 1
    setLane(store, dev, 0, newest, { ...lane0(dev, store)[newest]!, oldMap: dev.arenas[0]!.internalNlba + 5 });
    const d = open(store);
    checkModel(d, model);
    const calls = store.writeCalls;
    assert.equal(errorCode(() => d.write(0, new Uint8Array(4096))), "btt.flog");
    assert.equal(store.writeCalls, calls);
  }
  const cases: [string, (s: SparseStore, d: BttDevice) => void][] = [
    ["equal sequence numbers", (s, d) => { setLane(s, d, 3, 1, { lba: 3, oldMap: 5, newMap: 6, seq: 1 }); }],
    ["a zero seq in the newer slot", (s, d) => { setLane(s, d, 3, 0, { lba: 3, oldMap: 5, newMap: 6, seq: 0 }); setLane(s, d, 3, 1, { lba: 3, oldMap: 5, newMap: 6, seq: 0 }); }],
    ["a third slot in use", (s, d) => { setLane(s, d, 0, 3, { lba: 1, oldMap: 1, newMap: 1, seq: 1 }); }],
    ["slots (0, 3)", (s, d) => { const e = lane0(d, s); setLane(s, d, 0, 3, e[1]!); setLane(s, d, 0, 1, { lba: 0, oldMap: 0, newMap: 0, seq: 0 }); }],
    ["a recovery lba past the map", (s, d) => { setLane(s, d, 5, 1, { lba: d.arenas[0]!.externalNlba + 10, oldMap: 1, newMap: 2, seq: 2 }); }],
    ["a recovery to a block past the arena", (s, d) => { setLane(s, d, 5, 1, { lba: 4, oldMap: d.lookup(4).postmap, newMap: 0x3fff_fff0, seq: 2 }); }],
  ];
  for (const [what, corrupt] of cases) {
    const { store, dev } = usedBtt();
    corrupt(store, dev);
    const calls = store.writeCalls;
    assert.equal(errorCode(() => open(store)), "btt.flog", what);
    assert.equal(store.writeCalls, calls, what);
    assert.deepEqual(store.outOfRange, [], what);
  }
});

test("the older kernels' log slots (0, 2) are found and kept", () => {
  const { store, dev, model } = usedBtt();
  const a = dev.arenas[0]!;
  const e = lane0(dev, store);
  store.write(a.offsetBytes + a.logoff + 32n, BttLogEntry.encode(e[1]!));
  store.write(a.offsetBytes + a.logoff + 16n, new Uint8Array(16));
  const d = open(store);
  assert.deepEqual(d.arenas[0]!.logIndex, [0, 2]);
  assert.deepEqual(d.freeBlocks(0), dev.freeBlocks(0));
  for (let n = 0; n < 5; n++) { const x = sectorData(4096, 1n, 500 + n); d.write(1, x); model.set(1n, x); }
  const after = lane0(d, store);
  assert.deepEqual(after[1], { lba: 0, oldMap: 0, newMap: 0, seq: 0 });
  assert.equal(after[2]!.lba, 1);
  checkModel(open(store), model);
  checkBijection(d, store);
});

test("bad info blocks and bad requests are typed errors", () => {
  const { store, dev } = usedBtt();
  const size = store.sizeBytes;
  const reseal = (s: SparseStore, at: bigint, change: (sb: ReturnType<typeof decodeBttSb>) => void): void => {
    const sb = decodeBttSb(s.read(at, 4096));
    change(sb);
    s.write(at, encodeBttSb(sb));
  };
  const flip = store.clone();
  flip.write(100n, new Uint8Array([0xff]));
  assert.equal(errorCode(() => open(flip)), "btt.checksum");
  assert.equal(errorCode(() => open(flip, { version: "2.0" })), "btt.checksum");
  assert.equal(errorCode(() => open(freshBtt(size + 4096n, 4096, "1.1"), { version: "2.0" })), "btt.signature");
  assert.equal(errorCode(() => open(new SparseStore(size))), "btt.signature");
  assert.equal(errorCode(() => openBtt(new SparseStore(2048n), { namespaceSizeBytes: 2048n })), "btt.truncated");
  const far = store.clone();
  reseal(far, 0n, (sb) => { sb.nextoff = size + 4096n; });
  assert.equal(errorCode(() => open(far)), "btt.offsets");
  // A next arena exactly at the namespace end is none (discover_arenas stops when no space remains).
  reseal(far, 0n, (sb) => { sb.nextoff = size; });
  assert.equal(open(far).arenas.length, 1);
  const backup = store.clone();
  backup.write(dev.arenas[0]!.info2off + 200n, new Uint8Array([1]));
  assert.deepEqual(open(backup).reasons.map((r) => [r.code, r["copy"]]), [["btt.checksum", "backup"]]);
  // IB_FLAG_ERROR: readable, not writable (btt_write_pg returns -EIO).
  const flagged = store.clone();
  reseal(flagged, 0n, (sb) => { sb.flags = 1; });
  const fd = open(flagged);
  assert.deepEqual(fd.reasons.map((r) => r.code), ["btt.error-flag"]);
  assert.deepEqual(fd.read(0), dev.read(0));
  assert.equal(errorCode(() => fd.write(0, new Uint8Array(4096))), "btt.error-flag");
  // Requests: checked before any store access.
  const calls = store.writeCalls;
  for (const f of [() => dev.read(dev.nlba), () => dev.read(-1), () => dev.read(dev.nlba - 1n, 2), () => dev.read(1.5), () => dev.read(0, -1),
    () => dev.write(dev.nlba, new Uint8Array(4096)), () => dev.write(-1n, new Uint8Array(4096)), () => dev.lookup(dev.nlba)]) {
    assert.equal(errorCode(f), "btt.lba-range");
  }
  assert.equal(errorCode(() => dev.write(0, new Uint8Array(100))), "btt.length");
  assert.deepEqual(dev.read(dev.nlba, 0), new Uint8Array(0));
  dev.write(0, new Uint8Array(0));
  assert.equal(store.writeCalls, calls);
  assert.deepEqual(store.outOfRange, []);
});

test("property: random map and log corruption gives reads, writes or FormatErrors, never an access outside the namespace", () => {
  const { store: base, dev } = usedBtt();
  const a = dev.arenas[0]!;
  const mapAt = a.offsetBytes + a.mapoff, logAt = a.offsetBytes + a.logoff;
  fc.assert(fc.property(
    fc.array(fc.record({ where: fc.constantFrom("map", "log"), index: fc.integer({ min: 0, max: 63 }), value: fc.oneof(fc.nat({ max: 0xffff_ffff }), fc.constantFrom(0, 1, 2, 3, a.internalNlba, a.externalNlba, 0xc000_0000 | a.internalNlba)) }), { minLength: 1, maxLength: 6 }),
    fc.array(fc.record({ write: fc.boolean(), lba: fc.integer({ min: 0, max: 20 }) }), { maxLength: 12 }),
    (corruptions, ops) => {
      const store = base.clone();
      for (const c of corruptions) writeU32(store, (c.where === "map" ? mapAt : logAt) + BigInt(c.index * 4), c.value);
      const attempt = (f: () => unknown): void => {
        try { f(); } catch (e) { assert.ok(e instanceof FormatError, String(e)); }
      };
      attempt(() => {
        const d = open(store);
        for (const op of ops) attempt(() => (op.write ? d.write(op.lba, sectorData(4096, BigInt(op.lba), 1)) : d.read(op.lba)));
      });
      assert.deepEqual(store.outOfRange, []);
    }), { numRuns: 300 });
});
