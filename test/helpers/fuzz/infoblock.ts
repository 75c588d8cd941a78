// Fuzz targets: the first 16 KiB of every fixture namespace (pfn, dax, BTT
// 1.1 at 4096, BTT 2.0 at 0, raw) and the BTT backup blocks in sec.last4k.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import {
  BTT_SIGNATURE, BttSb, DAX_SIGNATURE, GiB, MiB, PFN_SIGNATURE, PfnSb, decodeBttSb, decodePfnSb, detectInfoBlock,
  rawTextToBytes, sealInfoBlock, validateBttSb, validatePfnSb, type BttValidateOptions, type DetectOptions, type PfnValidateOptions,
} from "../../../src/formats/index.js";
import { FIXTURES } from "../fixtures.js";
import { spotsOf, type FieldSpot, type Fixup, type Poke } from "./mutate.js";
import { checkReasons, decoder, type Decoder, type FuzzTarget } from "./target.js";

const BLOCK = BttSb.size;

interface Namespace {
  dev: string; size: number; dpa: number; extracts: string[]; uuid_sysfs_label?: string | null;
  info_block_host_decode?: { version?: string; parent_uuid: string; namespace_offset: number };
}
interface Case { id: string; regions: { resource: string }[]; namespaces: Namespace[] }

function manifest(): Case[] {
  return (JSON.parse(readFileSync(join(FIXTURES, "MANIFEST.json"), "utf8")) as { cases: Case[] }).cases;
}

const sig = (s: string): Uint8Array => Uint8Array.from({ length: 16 }, (_, i) => s.charCodeAt(i) || 0);

function blockValues(nsBytes: bigint): Record<string, readonly Poke[]> {
  const offs = [0n, 4096n, 8192n, nsBytes - 4096n, nsBytes, nsBytes + 1n];
  return {
    signature: [sig(BTT_SIGNATURE), sig(PFN_SIGNATURE), sig(DAX_SIGNATURE)],
    versionMajor: [0, 1, 2, 3], versionMinor: [0, 1, 2, 3, 4, 5],
    flags: [0, 1, 2],
    infosize: [0, 4095, 4096, 4097],
    externalLbasize: [0, 1, 511, 512, 520, 4096, 4160], internalLbasize: [0, 512, 576, 4096, 4160],
    nfree: [0, 1, 255, 256, 257], externalNlba: [0, 1, 7920], internalNlba: [0, 1, 8176],
    nextoff: offs, dataoff: [...offs, 0x20_0000n, 0x40_0000n], mapoff: offs, logoff: offs, info2off: offs,
    npfns: [0n, 1n, nsBytes / 4096n],
    mode: [0, 1, 2, 3],
    startPad: [0, 4096, 2 * MiB], endTrunc: [0, 4096, 2 * MiB],
    align: [0, 3, 4096, 2 * MiB, GiB, 0x8000_0000],
    pageSize: [0, 4096, 8192, 65536], pageStructSize: [0, 63, 64, 128],
  };
}

function sealAt(at: number, p: number): Fixup {
  return {
    name: `seal ${at}`, p,
    apply(b) {
      if (b.length < at + BLOCK) return false;
      sealInfoBlock(b, at);
      return true;
    },
  };
}

/** decode*Sb document a RangeError when fewer than 4096 bytes follow the offset. */
function decodeAt(name: "decodeBttSb" | "decodePfnSb", at: number): Decoder {
  const decode = name === "decodeBttSb" ? decodeBttSb : decodePfnSb;
  return decoder({ name, documentedThrow: (input) => input.length < at + BLOCK, call: (input) => decode(input, at) });
}

function validator(name: string, call: (input: Uint8Array) => readonly { code: string; message: string }[]): Decoder {
  return decoder({ name, call, check: (rs) => checkReasons(rs, name) });
}

function detector(opts?: DetectOptions): Decoder {
  return decoder({ name: "detectInfoBlock", call: (input) => detectInfoBlock(input, opts), check: (d) => checkReasons(d.reasons, "detectInfoBlock") });
}

function first16kTarget(c: Case, ns: Namespace, file: string, runs: number): FuzzTarget {
  const base = new Uint8Array(readFileSync(join(FIXTURES, file)));
  const size = BigInt(ns.size);
  const host = ns.info_block_host_decode;
  const uuidText = host?.parent_uuid ?? ns.uuid_sysfs_label ?? undefined;
  const parentUuid = uuidText === undefined ? undefined : rawTextToBytes(uuidText);
  const detectOpts: DetectOptions = { parentUuid, namespaceSizeBytes: size, namespaceStartBytes: BigInt(c.regions[0]!.resource) + BigInt(ns.dpa) };
  const pfnOpts: PfnValidateOptions = detectOpts;
  const bttOpts = (at: number): BttValidateOptions => ({ parentUuid, arenaOffsetBytes: BigInt(at), namespaceSizeBytes: size });
  const values = blockValues(size);
  const fields: FieldSpot[] = [...spotsOf(BttSb, 0, "btt@0", values), ...spotsOf(BttSb, BLOCK, "btt@4096", values), ...spotsOf(PfnSb, BLOCK, "pfn@4096", values)];
  const spans = [0, 1, 2, 3].map((i) => ({ at: i * BLOCK, size: BLOCK }));
  const cuts = [0, 16, BLOCK - 1, BLOCK, BLOCK + 1, 2 * BLOCK - 8, 2 * BLOCK - 1, 2 * BLOCK, 2 * BLOCK + 1, 3 * BLOCK];
  const decoders: Decoder[] = [
    detector(), detector(detectOpts),
    validator("validatePfnSb", (input) => validatePfnSb(input.subarray(BLOCK), pfnOpts)),
    validator("validatePfnSb", (input) => validatePfnSb(input.subarray(BLOCK))),
    validator("validateBttSb", (input) => validateBttSb(input, bttOpts(0))),
    validator("validateBttSb", (input) => validateBttSb(input.subarray(BLOCK), bttOpts(BLOCK))),
    decodeAt("decodeBttSb", 0), decodeAt("decodeBttSb", BLOCK), decodeAt("decodePfnSb", BLOCK),
  ];
  return {
    name: `infoblock/${c.id}-${ns.dev}`, runs, base, decoders, sampleEvery: 8,
    plan: { head: 2 * BLOCK, fields, spans, cuts, fixups: [sealAt(0, 0.5), sealAt(BLOCK, 0.5)] },
  };
}

function backupTarget(c: Case, ns: Namespace, file: string, runs: number): FuzzTarget {
  const base = new Uint8Array(readFileSync(join(FIXTURES, file)));
  const size = BigInt(ns.size);
  const host = ns.info_block_host_decode!;
  const version = host.version === "2.0" ? "2.0" : "1.1";
  const opts: BttValidateOptions = { parentUuid: rawTextToBytes(host.parent_uuid), version };
  const values = blockValues(size);
  const fields = [...spotsOf(BttSb, 0, "btt", values), ...spotsOf(PfnSb, 0, "pfn", values)];
  const decoders: Decoder[] = [
    validator("validateBttSb", (input) => validateBttSb(input, opts)),
    validator("validateBttSb", (input) => validateBttSb(input)),
    validator("validatePfnSb", (input) => validatePfnSb(input)),
    detector(),
    decodeAt("decodeBttSb", 0), decodeAt("decodePfnSb", 0),
  ];
  return {
    name: `infoblock/${c.id}-${ns.dev}-last4k`, runs, base, decoders, sampleEvery: 8,
    plan: { head: BLOCK, fields, spans: [], cuts: [0, 8, 16, 4087, 4088, 4095], fixups: [sealAt(0, 0.6)] },
  };
}

export function infoBlockTargets(scale: number): FuzzTarget[] {
  const out: FuzzTarget[] = [];
  for (const c of manifest()) {
    for (const ns of c.namespaces) {
      const first = ns.extracts.find((e) => e.endsWith("first16k.bin"));
      const last = ns.extracts.find((e) => e.endsWith("sec.last4k.bin"));
      if (first) out.push(first16kTarget(c, ns, first, Math.round(3000 * scale)));
      if (last) out.push(backupTarget(c, ns, last, Math.round(3000 * scale)));
    }
  }
  return out;
}
