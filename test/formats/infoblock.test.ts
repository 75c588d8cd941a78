import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import fc from "fast-check";
import {
  BttSb, PfnSb, NdGenSb, FormatError, MiB, buildPfnSb, bttArenaSizeBytes, decodeBttSb, decodePfnSb, detectInfoBlock,
  encodeBttSb, encodePfnSb, infoBlockChecksum, pfnLayout, rawBytesToText, rawTextToBytes, storedInfoBlockChecksum,
  validateBttSb, validatePfnSb, type BttSbFields, type PfnSbFields, type BttValidateOptions, type PfnValidateOptions,
} from "../../src/formats/index.js";

const FIXTURES = new URL("../../../test/data/fixtures/", import.meta.url);
const read = (rel: string): Uint8Array => new Uint8Array(readFileSync(new URL(rel, FIXTURES)));

interface HostDecode {
  signature: string; uuid: string; parent_uuid: string; flags: number; version: string; checksum: string;
  checksum_ok: boolean; namespace_offset: number; [field: string]: unknown;
}
interface ManifestNamespace { dev: string; name: string; mode_ndctl: string; size: number; dpa: number; extracts: string[]; info_block_host_decode?: HostDecode }
interface ManifestCase { id: string; dir: string; regions: { resource: string }[]; namespaces: ManifestNamespace[] }
const manifest = JSON.parse(new TextDecoder().decode(read("MANIFEST.json"))) as { cases: ManifestCase[] };

interface Fixture {
  caseId: string; ns: ManifestNamespace; first16k: Uint8Array; last4k: Uint8Array;
  /** Linux's res->start: the region's SPA plus the DPA (one DIMM, no interleave). */
  startBytes: bigint; sizeBytes: bigint; host?: HostDecode;
}
const fixtures: Fixture[] = manifest.cases.flatMap((c) => c.namespaces.map((ns) => ({
  caseId: c.id, ns,
  first16k: read(ns.extracts.find((e) => e.endsWith("first16k.bin"))!),
  last4k: read(ns.extracts.find((e) => e.endsWith("last4k.bin"))!),
  startBytes: BigInt(c.regions[0]!.resource) + BigInt(ns.dpa),
  sizeBytes: BigInt(ns.size),
  host: ns.info_block_host_decode,
})));
const pfnFixtures = fixtures.filter((f) => f.host?.signature.startsWith("NVDIMM_"));
const bttFixtures = fixtures.filter((f) => f.host?.signature === "BTT_ARENA_INFO");
const blockOf = (f: Fixture): Uint8Array => f.first16k.slice(f.host!.namespace_offset, f.host!.namespace_offset + 4096);
const pfnOpts = (f: Fixture): PfnValidateOptions => ({
  parentUuid: rawTextToBytes(f.host!.parent_uuid), namespaceSizeBytes: f.sizeBytes, namespaceStartBytes: f.startBytes,
});
const bttOpts = (f: Fixture): BttValidateOptions => ({
  parentUuid: rawTextToBytes(f.host!.parent_uuid), arenaOffsetBytes: BigInt(f.host!.namespace_offset), namespaceSizeBytes: f.sizeBytes,
});
const sigText = (b: Uint8Array): string => String.fromCharCode(...b).replace(/\0+$/, "");
const codes = (rs: readonly { code: string }[]): string[] => rs.map((r) => r.code);

test("fixtures are present: two pfn, two dax and two btt blocks", () => {
  assert.equal(pfnFixtures.length, 4);
  assert.equal(bttFixtures.length, 2);
});

test("info block structs are 4096 bytes with the checksum where nd_gen_sb has it", () => {
  for (const S of [PfnSb, BttSb, NdGenSb]) {
    assert.equal(S.size, 4096);
    assert.equal(S.offsetOf("checksum"), 4088);
  }
  // Spot checks against Linux pfn.h / btt.h.
  assert.equal(PfnSb.offsetOf("dataoff"), 56);
  assert.equal(PfnSb.offsetOf("mode"), 72);
  assert.equal(PfnSb.offsetOf("pageStructSize"), 92);
  assert.equal(PfnSb.sizeOf("padding"), 3994);
  assert.equal(BttSb.offsetOf("nextoff"), 80);
  assert.equal(BttSb.offsetOf("info2off"), 112);
  assert.equal(BttSb.sizeOf("padding"), 3968);
});

test("pfn/dax blocks decode to the host's decode", () => {
  for (const f of pfnFixtures) {
    const h = f.host!;
    const sb = decodePfnSb(f.first16k, h.namespace_offset);
    assert.equal(sigText(sb.signature), h.signature);
    assert.equal(rawBytesToText(sb.uuid), h.uuid);
    assert.equal(rawBytesToText(sb.parentUuid), h.parent_uuid);
    assert.equal(sb.flags, h.flags);
    assert.equal(`${sb.versionMajor}.${sb.versionMinor}`, h.version);
    assert.equal(sb.dataoff, BigInt(h.dataoff as number));
    assert.equal(sb.npfns, BigInt(h.npfns as number));
    assert.equal(sb.mode, h.mode === "PFN_MODE_PMEM" ? 2 : 1);
    assert.equal(sb.startPad, h.start_pad);
    assert.equal(sb.endTrunc, h.end_trunc);
    assert.equal(sb.align, h.align);
    assert.equal(sb.pageSize, h.page_size);
    assert.equal(sb.pageStructSize, h.page_struct_size);
    assert.equal(sb.checksum, BigInt(h.checksum));
    assert.equal(infoBlockChecksum(f.first16k, h.namespace_offset) === sb.checksum, h.checksum_ok);
    // ndctl list reports the data size as npfns pages.
    assert.equal(sb.npfns * 4096n, f.sizeBytes - sb.dataoff);
  }
});

test("btt blocks decode to the host's decode, v1.1 at 4096 and v2.0 at 0", () => {
  for (const f of bttFixtures) {
    const h = f.host!;
    const sb = decodeBttSb(f.first16k, h.namespace_offset);
    assert.equal(sigText(sb.signature), h.signature);
    assert.equal(rawBytesToText(sb.uuid), h.uuid);
    assert.equal(rawBytesToText(sb.parentUuid), h.parent_uuid);
    assert.equal(`${sb.versionMajor}.${sb.versionMinor}`, h.version);
    assert.equal(h.namespace_offset, h.version === "1.1" ? 4096 : 0);
    for (const [mine, theirs] of [["externalLbasize", "external_lbasize"], ["externalNlba", "external_nlba"], ["internalLbasize", "internal_lbasize"],
      ["internalNlba", "internal_nlba"], ["nfree", "nfree"], ["infosize", "infosize"], ["flags", "flags"]] as const) {
      assert.equal(sb[mine], h[theirs], mine);
    }
    for (const [mine, theirs] of [["nextoff", "nextoff"], ["dataoff", "dataoff"], ["mapoff", "mapoff"], ["logoff", "logoff"], ["info2off", "info2off"]] as const) {
      assert.equal(sb[mine], BigInt(h[theirs] as number), mine);
    }
    assert.equal(sb.checksum, BigInt(h.checksum));
  }
});

test("decoded blocks agree with what ndctl list reported in the guest", () => {
  for (const f of [...pfnFixtures, ...bttFixtures]) {
    const dir = manifest.cases.find((c) => c.id === f.caseId)!.dir;
    const list = JSON.parse(new TextDecoder().decode(read(`${dir}/ground-truth/final/ndctl-list.json`))) as {
      regions: { namespaces: { dev: string; size: number; uuid: string; raw_uuid?: string; align?: number; sector_size?: number }[] }[];
    };
    const n = list.regions.flatMap((r) => r.namespaces).find((x) => x.dev === f.ns.dev)!;
    const what = `${f.caseId} ${f.ns.dev}`;
    if (f.host!.signature === "BTT_ARENA_INFO") {
      const sb = decodeBttSb(blockOf(f));
      assert.equal(rawBytesToText(sb.uuid), n.uuid, what);
      assert.equal(rawBytesToText(sb.parentUuid), n.raw_uuid, what);
      assert.equal(sb.externalLbasize, n.sector_size, what);
      assert.equal(sb.externalNlba * sb.externalLbasize, n.size, what);
    } else {
      const sb = decodePfnSb(blockOf(f));
      assert.equal(rawBytesToText(sb.uuid), n.uuid, what);
      assert.equal(rawBytesToText(sb.parentUuid), n.raw_uuid, what);
      assert.equal(sb.align, n.align, what);
      assert.equal(sb.npfns * 4096n, BigInt(n.size), what);
    }
  }
});

test("encode(decode(x)) reproduces every fixture block, checksum included", () => {
  for (const f of pfnFixtures) {
    const b = blockOf(f);
    assert.deepEqual(PfnSb.encode(decodePfnSb(b)), b);
    assert.deepEqual(encodePfnSb(decodePfnSb(b)), b);
  }
  for (const f of bttFixtures) {
    for (const b of [blockOf(f), f.last4k]) {
      assert.deepEqual(BttSb.encode(decodeBttSb(b)), b);
      assert.deepEqual(encodeBttSb(decodeBttSb(b)), b);
    }
  }
});

test("every fixture block validates clean against its namespace", () => {
  for (const f of pfnFixtures) assert.deepEqual(validatePfnSb(blockOf(f), pfnOpts(f)), [], f.ns.dev);
  for (const f of bttFixtures) assert.deepEqual(validateBttSb(blockOf(f), bttOpts(f)), [], f.ns.dev);
});

test("the BTT backup block in the last 4 KiB is the primary's copy at info2off", () => {
  for (const f of bttFixtures) {
    const primary = blockOf(f);
    assert.deepEqual(f.last4k, primary);
    const sb = decodeBttSb(primary);
    const arenaAt = BigInt(f.host!.namespace_offset);
    assert.equal(arenaAt + sb.info2off, f.sizeBytes - 4096n);
    assert.equal(arenaAt + bttArenaSizeBytes(sb), f.sizeBytes);
    assert.deepEqual(validateBttSb(f.last4k, bttOpts(f)), []);
  }
});

test("pfnLayout follows nd_pfn_init, and the fixtures, not FORMATS.md's npfns", () => {
  const fs = pfnFixtures[0]!;
  const dev = pfnLayout({ namespaceStartBytes: fs.startBytes, namespaceSizeBytes: fs.sizeBytes, map: "dev" });
  assert.deepEqual(dev, { dataoff: 2n * BigInt(MiB), npfns: 15872n, startPad: 0, endTrunc: 0 });
  // FORMATS.md §6 gives npfns = (size − 8K)/4K; that is only the count the page map is sized for.
  assert.notEqual(dev.npfns, (fs.sizeBytes - 8192n) / 4096n);
  assert.deepEqual(pfnLayout({ namespaceStartBytes: 0n, namespaceSizeBytes: fs.sizeBytes, map: "dev" }), dev);
  assert.deepEqual(pfnLayout({ namespaceStartBytes: 0n, namespaceSizeBytes: fs.sizeBytes, map: "mem" }), dev);

  // 1 GiB map=dev: the page map (64 B × 262142 pages ≈ 16 MiB) pushes dataoff past 16 MiB.
  const big = pfnLayout({ namespaceStartBytes: 0n, namespaceSizeBytes: 1n << 30n, map: "dev" });
  assert.equal(big.dataoff, 18n * BigInt(MiB));
  assert.equal(big.npfns, ((1n << 30n) - big.dataoff) / 4096n);
  // A size that is not a multiple of the align is truncated at the end.
  const odd = pfnLayout({ namespaceStartBytes: 0n, namespaceSizeBytes: 65n * BigInt(MiB), map: "mem" });
  assert.deepEqual(odd, { dataoff: 2n * BigInt(MiB), npfns: 62n * 256n, startPad: 0, endTrunc: MiB });
  // align 1 GiB.
  assert.equal(pfnLayout({ namespaceStartBytes: 1n << 30n, namespaceSizeBytes: 2n << 30n, map: "mem", alignBytes: 1 << 30 }).dataoff, 1n << 30n);

  const failure = (f: () => unknown): string => {
    try { f(); } catch (e) { assert.ok(e instanceof FormatError); return e.code; }
    return "no error";
  };
  assert.equal(failure(() => pfnLayout({ namespaceStartBytes: 4096n, namespaceSizeBytes: 64n << 20n, map: "dev" })), "pfn.start-pad");
  assert.equal(failure(() => pfnLayout({ namespaceStartBytes: 0n, namespaceSizeBytes: 64n << 20n, map: "dev", alignBytes: 3 * MiB })), "pfn.align");
  assert.equal(failure(() => pfnLayout({ namespaceStartBytes: 0n, namespaceSizeBytes: 2n << 20n, map: "mem" })), "pfn.dataoff");
  assert.equal(failure(() => pfnLayout({ namespaceStartBytes: 0n, namespaceSizeBytes: 4096n, map: "mem" })), "pfn.dataoff");
});

test("buildPfnSb writes the fixture blocks byte for byte", () => {
  for (const f of pfnFixtures) {
    const built = buildPfnSb({
      kind: f.ns.mode_ndctl === "devdax" ? "devdax" : "fsdax",
      uuid: rawTextToBytes(f.host!.uuid),
      parentUuid: rawTextToBytes(f.host!.parent_uuid),
      namespaceStartBytes: f.startBytes,
      namespaceSizeBytes: f.sizeBytes,
      map: "dev",
      alignBytes: 2 * MiB,
    });
    assert.deepEqual(built, blockOf(f), `${f.caseId} ${f.ns.dev}`);
  }
});

function mutatePfn(f: Fixture, change: Partial<PfnSbFields>): Uint8Array {
  return encodePfnSb({ ...decodePfnSb(blockOf(f)), ...change });
}
function mutateBtt(f: Fixture, change: Partial<BttSbFields>): Uint8Array {
  return encodeBttSb({ ...decodeBttSb(blockOf(f)), ...change });
}

test("pfn validation: one corruption per step, each with its exact reason", () => {
  const fs = pfnFixtures.find((f) => f.host!.signature === "NVDIMM_PFN_INFO")!;
  const dax = pfnFixtures.find((f) => f.host!.signature === "NVDIMM_DAX_INFO")!;
  const o = pfnOpts(fs);
  const flip = (b: Uint8Array, at: number): Uint8Array => { const c = Uint8Array.from(b); c[at]! ^= 0x20; return c; };
  const mib = (n: number): bigint => BigInt(n * MiB);
  const cases: [string, Uint8Array, PfnValidateOptions, string][] = [
    ["short buffer", blockOf(fs).subarray(0, 4095), o, "pfn.truncated"],
    ["signature", flip(blockOf(fs), 3), o, "pfn.signature"],
    ["wrong kind of block", blockOf(dax), { kind: "pfn" }, "pfn.signature"],
    ["checksum", flip(blockOf(fs), 2000), o, "pfn.checksum"],
    ["major version", mutatePfn(fs, { versionMajor: 2 }), o, "pfn.version"],
    ["parent uuid", blockOf(fs), { ...o, parentUuid: new Uint8Array(16) }, "pfn.parent-uuid"],
    ["mode", mutatePfn(fs, { mode: 3 }), o, "pfn.mode"],
    ["page size", mutatePfn(fs, { pageSize: 8192 }), o, "pfn.page-size"],
    ["struct page size", mutatePfn(fs, { pageStructSize: 32 }), o, "pfn.page-struct-size"],
    ["devdax align not supported", mutatePfn(dax, { align: 65536 }), pfnOpts(dax), "pfn.align"],
    ["align not a power of two", mutatePfn(fs, { align: 3 * MiB }), { namespaceSizeBytes: fs.sizeBytes }, "pfn.align"],
    ["align beyond the namespace", mutatePfn(fs, { align: 128 * MiB }), { namespaceSizeBytes: fs.sizeBytes }, "pfn.align"],
    ["dataoff misaligned", mutatePfn(fs, { dataoff: mib(2) + 4096n, npfns: 15000n }), o, "pfn.dataoff"],
    ["dataoff beyond the namespace", mutatePfn(fs, { dataoff: mib(64), npfns: 1n }), { namespaceSizeBytes: fs.sizeBytes }, "pfn.dataoff"],
    ["dataoff inside the info block", mutatePfn(fs, { dataoff: 4096n, npfns: 1n, mode: 1 }), {}, "pfn.dataoff"],
    ["start pad", mutatePfn(fs, { startPad: 4096, dataoff: mib(2) - 4096n }), o, "pfn.start-pad"],
    ["end trunc", mutatePfn(fs, { endTrunc: 4096, npfns: 15871n }), o, "pfn.end-trunc"],
    ["no pfns", mutatePfn(fs, { npfns: 0n }), o, "pfn.npfns"],
    ["more pfns than pages", mutatePfn(fs, { npfns: 15873n }), o, "pfn.npfns"],
    ["page map does not fit", mutatePfn(fs, { npfns: 40000n }), {}, "pfn.npfns"],
  ];
  for (const [what, bytes, opts, code] of cases) {
    const before = Uint8Array.from(bytes);
    assert.deepEqual(codes(validatePfnSb(bytes, opts)), [code], what);
    assert.deepEqual(bytes, before, `${what}: input untouched`);
  }
});

test("pfn validation: older minor versions read with Linux's defaults", () => {
  const fs = pfnFixtures[0]!;
  // Minor 0 has no align, page size or pads: align falls back to the power of two in dataoff.
  const v10 = mutatePfn(fs, { versionMinor: 0, align: 12345, pageSize: 0, pageStructSize: 0, startPad: 7, endTrunc: 9 });
  assert.deepEqual(validatePfnSb(v10, pfnOpts(fs)), []);
});

test("btt validation: one corruption per step, each with its exact reason", () => {
  const v11 = bttFixtures.find((f) => f.host!.version === "1.1")!;
  const v20 = bttFixtures.find((f) => f.host!.version === "2.0")!;
  const o = bttOpts(v11);
  const v11sb = decodeBttSb(blockOf(v11));
  const flip = (b: Uint8Array, at: number): Uint8Array => { const c = Uint8Array.from(b); c[at]! ^= 0x01; return c; };
  const cases: [string, Uint8Array, BttValidateOptions, string[]][] = [
    ["short buffer", blockOf(v11).subarray(0, 100), o, ["btt.truncated"]],
    ["signature", flip(blockOf(v11), 0), o, ["btt.signature"]],
    ["checksum", flip(blockOf(v11), 4095), o, ["btt.checksum"]],
    ["v1.1 block where v2.0 belongs", blockOf(v11), { version: "2.0" }, ["btt.version"]],
    ["v2.0 block at offset 4096", blockOf(v20), { arenaOffsetBytes: 4096n }, ["btt.version"]],
    ["unknown version", mutateBtt(v11, { versionMajor: 3 }), {}, ["btt.version"]],
    ["parent uuid", blockOf(v11), { ...o, parentUuid: new Uint8Array(16).fill(1) }, ["btt.parent-uuid"]],
    ["error flag", mutateBtt(v11, { flags: 1 }), o, ["btt.error-flag"]],
    ["infosize", mutateBtt(v11, { infosize: 512 }), o, ["btt.infosize"]],
    ["internal lbasize below external", mutateBtt(v11, { internalLbasize: 512 }), o, ["btt.lbasize"]],
    ["internal lbasize unaligned", mutateBtt(v11, { internalLbasize: 4100 }), o, ["btt.lbasize"]],
    ["nfree", mutateBtt(v11, { nfree: 0 }), o, ["btt.nfree"]],
    ["nlba", mutateBtt(v11, { externalNlba: 7921 }), o, ["btt.nlba"]],
    ["map overlaps data", mutateBtt(v11, { mapoff: v11sb.dataoff + BigInt(v11sb.internalNlba * v11sb.internalLbasize) - 4096n }), o, ["btt.offsets"]],
    ["dataoff inside the info block", mutateBtt(v11, { dataoff: 0n }), o, ["btt.offsets"]],
    ["log overlaps map", mutateBtt(v11, { logoff: v11sb.mapoff }), o, ["btt.offsets"]],
    ["backup overlaps log", mutateBtt(v11, { info2off: v11sb.logoff + 64n }), o, ["btt.offsets"]],
    ["next arena inside this one", mutateBtt(v11, { nextoff: 4096n }), o, ["btt.offsets"]],
    ["arena past the namespace", blockOf(v11), { ...o, namespaceSizeBytes: v11.sizeBytes - 4096n }, ["btt.offsets"]],
    ["zero parent uuid matches any namespace", mutateBtt(v11, { parentUuid: new Uint8Array(16) }), o, []],
  ];
  for (const [what, bytes, opts, want] of cases) {
    const before = Uint8Array.from(bytes);
    assert.deepEqual(codes(validateBttSb(bytes, opts)), want, what);
    assert.deepEqual(bytes, before, `${what}: input untouched`);
  }
});

test("detectInfoBlock finds each namespace's mode in every fixture", () => {
  const expected: Record<string, { kind: string; mode: string }> = {
    fsdax: { kind: "pfn", mode: "fsdax" }, devdax: { kind: "dax", mode: "devdax" },
    sector: { kind: "btt", mode: "sector" }, raw: { kind: "none", mode: "raw" },
  };
  assert.equal(fixtures.length, 10);
  for (const f of fixtures) {
    const d = detectInfoBlock(f.first16k, {
      parentUuid: f.host ? rawTextToBytes(f.host.parent_uuid) : undefined, namespaceSizeBytes: f.sizeBytes, namespaceStartBytes: f.startBytes,
    });
    const what = `${f.caseId} ${f.ns.dev}`;
    assert.deepEqual({ kind: d.kind, mode: d.mode }, expected[f.ns.mode_ndctl], what);
    assert.deepEqual(d.reasons, [], what);
    assert.equal(d.offset, f.host?.namespace_offset, what);
    if (d.kind !== "none") assert.equal(rawBytesToText(d.block.uuid), f.host!.uuid, what);
  }
});

test("detectInfoBlock reports short input and bad blocks without throwing", () => {
  const fs = pfnFixtures[0]!;
  const short = detectInfoBlock(fs.first16k.subarray(0, 4096));
  assert.equal(short.kind, "none");
  assert.deepEqual(codes(short.reasons), ["infoblock.truncated"]);
  assert.deepEqual(codes(detectInfoBlock(new Uint8Array(0)).reasons), ["infoblock.truncated"]);
  // A BTT 2.0 block at 0 needs only its own 4 KiB.
  const v20 = bttFixtures.find((f) => f.host!.version === "2.0")!;
  const only0 = detectInfoBlock(v20.first16k.subarray(0, 4096));
  assert.equal(only0.kind, "btt");
  assert.deepEqual(only0.reasons, []);

  const bad = Uint8Array.from(fs.first16k); bad[4096 + 100]! ^= 1;
  const d = detectInfoBlock(bad);
  assert.equal(d.kind, "pfn");
  assert.deepEqual(codes(d.reasons), ["pfn.checksum"]);
  // A bad BTT signature at 0 loses to a valid pfn block at 4096.
  const both = Uint8Array.from(fs.first16k); both.set(blockOf(v20).subarray(0, 16), 0);
  assert.equal(detectInfoBlock(both).kind, "pfn");
  assert.deepEqual(codes(detectInfoBlock(both.subarray(0, 6000)).reasons), ["btt.checksum", "infoblock.truncated"]);
});

test("property: field-table encode∘decode is the identity on any 4096 bytes", () => {
  fc.assert(fc.property(fc.uint8Array({ minLength: 4096, maxLength: 4096 }), (b) => {
    assert.deepEqual(PfnSb.encode(PfnSb.decode(b)), b);
    assert.deepEqual(BttSb.encode(BttSb.decode(b)), b);
    const sealed = encodePfnSb(decodePfnSb(b));
    assert.deepEqual(sealed.subarray(0, 4088), b.subarray(0, 4088));
    assert.equal(storedInfoBlockChecksum(sealed), infoBlockChecksum(sealed));
  }), { numRuns: 50 });
});

test("property: validate and detect never throw on arbitrary bytes", () => {
  fc.assert(fc.property(fc.uint8Array({ maxLength: 9000 }), (b) => {
    validatePfnSb(b);
    validateBttSb(b);
    detectInfoBlock(b);
  }), { numRuns: 100 });
});

test("property: any change to a valid block is caught, and never throws", () => {
  const blocks = [...pfnFixtures, ...bttFixtures].map((f) => ({ f, b: blockOf(f) }));
  fc.assert(fc.property(
    fc.constantFrom(...blocks), fc.array(fc.tuple(fc.nat(4095), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 8 }),
    ({ f, b }, edits) => {
      const m = Uint8Array.from(b);
      for (const [at, v] of edits) m[at] = v;
      const isBtt = f.host!.signature === "BTT_ARENA_INFO";
      const reasons = isBtt ? validateBttSb(m, bttOpts(f)) : validatePfnSb(m, pfnOpts(f));
      const changed = m.some((x, i) => x !== b[i]);
      assert.equal(reasons.length > 0, changed);
      const ns = Uint8Array.from(f.first16k);
      ns.set(m, f.host!.namespace_offset);
      detectInfoBlock(ns, pfnOpts(f));
    }), { numRuns: 200 });
});

test("property: sealed blocks with arbitrary fields validate without throwing", () => {
  const u64 = fc.bigInt({ min: 0n, max: (1n << 64n) - 1n });
  const u32 = fc.nat({ max: 0xffffffff });
  const u16 = fc.nat({ max: 0xffff });
  const opts = fc.record({ namespaceSizeBytes: fc.option(u64, { nil: undefined }), namespaceStartBytes: fc.option(u64, { nil: undefined }) });
  const sig = (s: string): Uint8Array => { const o = new Uint8Array(16); for (let i = 0; i < s.length; i++) o[i] = s.charCodeAt(i); return o; };
  fc.assert(fc.property(
    fc.record({ versionMinor: u16, dataoff: u64, npfns: u64, mode: fc.constantFrom(1, 2), startPad: u32, endTrunc: u32, align: u32, pageSize: u32, pageStructSize: u16 }),
    fc.constantFrom("NVDIMM_PFN_INFO", "NVDIMM_DAX_INFO"), opts,
    (fields, s, o) => {
      const reasons = validatePfnSb(encodePfnSb({ ...fields, signature: sig(s), versionMajor: 1 }), o);
      assert.ok(reasons.every((r) => r.code.startsWith("pfn.")));
    }));
  fc.assert(fc.property(
    fc.record({ externalLbasize: u32, externalNlba: u32, internalLbasize: u32, internalNlba: u32, nfree: u32, infosize: u32,
      nextoff: u64, dataoff: u64, mapoff: u64, logoff: u64, info2off: u64, flags: u32 }),
    fc.constantFrom([1, 1] as const, [2, 0] as const), fc.option(u64, { nil: undefined }),
    (fields, [major, minor], size) => {
      const reasons = validateBttSb(encodeBttSb({ ...fields, signature: sig("BTT_ARENA_INFO"), versionMajor: major, versionMinor: minor }), { namespaceSizeBytes: size });
      assert.ok(reasons.every((r) => r.code.startsWith("btt.")));
    }));
});
