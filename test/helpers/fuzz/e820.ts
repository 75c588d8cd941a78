// Fuzz targets: encoded E820 maps (the S1 guest's BIOS map plus pmem, and a dense synthetic one).
import { E820Entry, E820Type, decodeE820, encodeE820, type E820EntryFields } from "../../../src/formats/index.js";
import { fixtureBytes } from "../fixtures.js";
import { spotsOf, type FieldSpot, type Poke } from "./mutate.js";
import { checkReasons, decoder, type Decoder, type FuzzTarget } from "./target.js";

const U64_MAX = 2n ** 64n - 1n;

function guestMap(): E820EntryFields[] {
  const text = new TextDecoder().decode(fixtureBytes("S1", "ground-truth/dmesg.txt"));
  const out: E820EntryFields[] = [];
  for (const m of text.matchAll(/BIOS-e820: \[mem (0x[0-9a-f]+)-(0x[0-9a-f]+)\] (.+)$/gm)) {
    const addr = BigInt(m[1]!);
    out.push({ addr, sizeBytes: BigInt(m[2]!) - addr + 1n, type: m[3]!.trim() === "usable" ? E820Type.ram : E820Type.reserved });
  }
  out.push({ addr: 0x1_0000_0000n, sizeBytes: 0xffe_0000n, type: E820Type.pmem }, { addr: 0x2_0000_0000n, sizeBytes: 0x1000_0000n, type: E820Type.legacyPmem });
  return out;
}

function denseMap(): E820EntryFields[] {
  const types = Object.values(E820Type);
  return Array.from({ length: 48 }, (_, i) => ({ addr: BigInt(i) * 0x20_0000n, sizeBytes: 0x20_0000n, type: types[i % types.length]! }));
}

function e820Target(name: string, entries: readonly E820EntryFields[], runs: number): FuzzTarget {
  const base = encodeE820(entries);
  const addrs: Poke[] = [U64_MAX, U64_MAX - 0xfffn, ...entries.map((e) => e.addr)];
  const sizes: Poke[] = [U64_MAX, 0x1000n, ...entries.map((e) => e.sizeBytes)];
  const values = { addr: addrs, sizeBytes: sizes, type: [0, 1, 2, 3, 4, 5, 6, 7, 8, 12, 13, 0xffffffff] };
  const fields: FieldSpot[] = entries.flatMap((_, i) => spotsOf(E820Entry, i * E820Entry.size, `entry${i}`, values));
  const spans = entries.map((_, i) => ({ at: i * E820Entry.size, size: E820Entry.size }));
  const cuts = spans.flatMap((s) => [s.at, s.at + 1, s.at + 8, s.at + 19]);
  const decoders: Decoder[] = [decoder({
    name: "decodeE820",
    call: decodeE820,
    check(d, input) {
      if (d.entries.length !== Math.floor(input.length / E820Entry.size)) return `${d.entries.length} entries from ${input.length} bytes`;
      if ((input.length % E820Entry.size !== 0) !== d.reasons.some((r) => r.code === "e820.length")) return "e820.length disagrees with the byte count";
      return checkReasons(d.reasons, "decodeE820");
    },
  })];
  return { name: `e820/${name}`, runs, base, plan: { head: base.length, fields, spans, cuts, fixups: [] }, decoders, sampleEvery: 8 };
}

export function e820Targets(scale: number): FuzzTarget[] {
  return [e820Target("guest", guestMap(), Math.round(10000 * scale)), e820Target("dense", denseMap(), Math.round(8000 * scale))];
}
