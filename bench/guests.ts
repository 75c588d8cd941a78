// The guests' figures from issue 4 §7, each against a baseline measured in
// the same run:
//   - creating a domain with 4 × 256 GiB vNVDIMMs on sparse media, against
//     creating one with 4 × 16 MiB (the same work apart from size: a ratio
//     near 1 says creation does not scale with the extent);
//   - reading a 128 KiB label area through the _DSM mailbox (Linux's
//     function 4 then function 5 loop), against reading the same bytes
//     straight from the DIMM file;
//   - probe-guest namespace I/O in 1 MiB blocks, through the guest's P2M and
//     the hypervisor's media, against pread/pwrite of the same bytes at the
//     same host offsets.
//
//   node dist/bench/guests.js [--json]
import { closeSync, mkdtempSync, openSync, readSync, rmSync, writeFileSync, writeSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { performance } from "node:perf_hooks";
import { run } from "../src/cli/main.js";
import { bootHost } from "../src/toolstack/host-boot.js";
import { createDomain, deleteDomain, destroyDomain, listDomains, openGuest } from "../src/toolstack/index.js";
import { PAGE_BYTES } from "../src/hypervisor/index.js";
import { consume, measurePair } from "./measure.js";
import { nsPerOp, printRows, type BenchRow } from "./table.js";

const MIB = 2 ** 20;

function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[s.length >> 1]!;
}

function ratio(r: number): string {
  return `${r >= 10 ? r.toFixed(1) : r.toFixed(2)}×`;
}

/** A host with two sparse DIMMs of `dimmSize`, both reserved for the hypervisor with management in RAM, set up through the CLI. */
async function reservedHost(dimmSize: string): Promise<string> {
  const dir = mkdtempSync(join(tmpdir(), "vnvdimm-bench-"));
  const spec = join(dir, "machine.json");
  writeFileSync(spec, JSON.stringify({ name: "bench", sockets: [{ node: 0, ram: "2G" }, { node: 1, ram: "2G" }], nvdimms: [{ node: 0, size: dimmSize }, { node: 1, size: dimmSize }] }));
  const state = join(dir, "state");
  let err = "";
  const cli = async (...argv: string[]) => {
    const code = await run([...argv, "--state", state], { out: () => undefined, err: (t) => { err += t; } });
    if (code !== 0) throw new Error(`bench: vnvdimm ${argv.join(" ")} failed: ${err}`);
  };
  await cli("host", "init", "--spec", spec);
  await cli("pmem", "reserve", "--dimm", "0", "--mgmt", "ram");
  await cli("pmem", "reserve", "--dimm", "1", "--mgmt", "ram");
  return state;
}

function fourDimmConfig(name: string, size: string): string {
  const v = (node: number) => `'size=${size}, node=${node}, namespace=fsdax:data${node}, labels=v1.2'`;
  return `name = "${name}"\nmemory = 2048\nvnvdimms = [ ${v(0)}, ${v(0)}, ${v(1)}, ${v(1)} ]\n`;
}

/** Median ms of `create` over rounds; each round ends with destroy + delete, untimed, so the next create allocates afresh (with --force: the last round's labels are foreign to the new domain). */
function timeCreate(state: string, name: string, size: string, rounds: number): number {
  const ms: number[] = [];
  for (let i = 0; i < rounds; i++) {
    const t0 = performance.now();
    createDomain(state, { configText: fourDimmConfig(name, size), force: true });
    ms.push(performance.now() - t0);
    destroyDomain(state, name);
    deleteDomain(state, name);
  }
  return median(ms);
}

function benchCreate(state: string): BenchRow {
  const rounds = 7;
  // Alternate the two sizes so both see the same machine.
  const big: number[] = [], small: number[] = [];
  for (let i = 0; i < rounds; i++) {
    big.push(timeCreate(state, "big", "256G", 1));
    small.push(timeCreate(state, "small", "16M", 1));
  }
  const b = median(big), s = median(small);
  return {
    figure: "create a domain with 4 × 256 GiB vNVDIMMs (sparse), fsdax pre-provisioned",
    value: `${b.toFixed(1)} ms`, baseline: `4 × 16 MiB: ${s.toFixed(1)} ms`, ratio: ratio(b / s), target: "≤ 100 ms",
  };
}

/** A running domain with a 128 KiB label area and a raw namespace of `ioBytes`; returns its host file and extent offset. */
function ioDomain(state: string, ioBytes: number): { name: string; file: string; dataOffset: number } {
  const name = "io";
  createDomain(state, { configText: `name = "${name}"\nmemory = 512\nvnvdimms = [ 'size=${ioBytes / MIB}M, node=0, label_size=128K, namespace=raw:blk, labels=v1.2' ]\n` });
  const ext = listDomains(state).domains.find((d) => d.name === name)!.vnvdimms[0]!;
  const b = bootHost(state);
  let file: string, dimmSmfn: number;
  try {
    const dimm = b.host.dimms[0]!;
    file = dimm.path;
    dimmSmfn = Number(dimm.spa / BigInt(PAGE_BYTES));
  } finally { b.close(); }
  // A raw namespace starts at the extent's first byte: no info block.
  return { name, file, dataOffset: (ext.smfn - dimmSmfn) * PAGE_BYTES };
}

function benchMailbox(state: string, name: string, file: string, labelOffset: number): BenchRow {
  const g = openGuest(state, name);
  const fd = openSync(file, "r");
  try {
    const handle = g.domain.guest.regions()[0]!.handle;
    const direct = new Uint8Array(128 * 1024);
    const t = measurePair(
      () => consume(g.domain.guest.readLabels(handle)[4096]!),
      () => { readSync(fd, direct, 0, direct.length, labelOffset); consume(direct[4096]!); },
    );
    return {
      figure: "read a 128 KiB label area through the _DSM mailbox (33 calls of ≤ 4076 B)",
      value: `${(t.opNs / 1e6).toFixed(3)} ms`, baseline: `pread of the same 128 KiB: ${nsPerOp(t.baselineNs)}`, ratio: ratio(t.ratio), target: "≤ 2 ms",
    };
  } finally { closeSync(fd); g.close(); }
}

function benchIo(state: string, name: string, file: string, dataOffset: number, ioBytes: number): BenchRow[] {
  const g = openGuest(state, name);
  const fd = openSync(file, "r+");
  try {
    const io = g.domain.guest.io(g.domain.guest.namespace("blk")!);
    const block = new Uint8Array(MIB).map((_, i) => (i * 31 + 7) & 0xff);
    const into = new Uint8Array(MIB);
    const blocks = ioBytes / MIB;
    let w = 0, r = 0, bw = 0, br = 0;
    const opts = { warmupMs: 100, roundMs: 60, rounds: 9 };
    const write = measurePair(
      () => { io.write(BigInt((w++ % blocks) * MIB), block); },
      () => { writeSync(fd, block, 0, MIB, dataOffset + (bw++ % blocks) * MIB); },
      opts,
    );
    const read = measurePair(
      () => { consume(io.read(BigInt((r++ % blocks) * MIB), MIB)[17]!); },
      () => { readSync(fd, into, 0, MIB, dataOffset + (br++ % blocks) * MIB); consume(into[17]!); },
      opts,
    );
    const mbps = (ns: number) => `${(MIB / 2 ** 20 / (ns / 1e9)).toFixed(0)} MiB/s`;
    return [
      { figure: "probe-guest write, raw namespace, 1 MiB blocks", value: mbps(write.opNs), baseline: `pwrite, same bytes: ${mbps(write.baselineNs)}`, ratio: ratio(write.ratio), target: "state the ratio" },
      { figure: "probe-guest read, raw namespace, 1 MiB blocks", value: mbps(read.opNs), baseline: `pread, same bytes: ${mbps(read.baselineNs)}`, ratio: ratio(read.ratio), target: "state the ratio" },
    ];
  } finally { closeSync(fd); g.close(); }
}

export async function benchGuests(): Promise<BenchRow[]> {
  const bigState = await reservedHost("600G");
  const rows: BenchRow[] = [];
  try {
    rows.push(benchCreate(bigState));
  } finally { rmSync(join(bigState, ".."), { recursive: true, force: true }); }

  const ioBytes = 64 * MIB;
  const state = await reservedHost("1G");
  try {
    const { name, file, dataOffset } = ioDomain(state, ioBytes);
    // Pre-fill so that reads touch real blocks, not holes.
    const fd = openSync(file, "r+");
    try { for (let off = 0; off < ioBytes; off += MIB) writeSync(fd, new Uint8Array(MIB).fill(0x5a), 0, MIB, dataOffset + off); } finally { closeSync(fd); }
    rows.push(benchMailbox(state, name, file, dataOffset + ioBytes));
    rows.push(...benchIo(state, name, file, dataOffset, ioBytes));
  } finally { rmSync(join(state, ".."), { recursive: true, force: true }); }
  return rows;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href) {
  printRows(await benchGuests(), process.argv.includes("--json"));
}
