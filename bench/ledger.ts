// The ledger's cost per mutation (`npm run bench -- --only ledger`): one
// toolstack mutation (take the lock, read the ledger, stop or start one
// domain, write it) on a ledger of 1 domain and of 301, with the journal
// (one appended, fdatasynced record; compactions amortised in, at the
// default threshold) and with the whole-file ledger.json that vnvdimm wrote
// before it (parse and validate the file, write a temp file, fsync, rename,
// fsync the directory), timed in alternating rounds in one run, on a real
// filesystem (the state directory's, under the OS temp dir).
//
//   node dist/bench/ledger.js [--json]
import { closeSync, fsyncSync, mkdtempSync, openSync, readFileSync, renameSync, rmSync, writeSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { pathToFileURL } from "node:url";
import { ledgerPath, readLedger, withLedgerLock, writeLedger, type Ledger, type LedgerDomain } from "../src/toolstack/index.js";
import { LedgerSchema } from "../src/toolstack/ledger-schema.js";
import { measurePair } from "./measure.js";
import { nsPerOp, printRows, ratioText, type BenchRow } from "./table.js";

const OTHERS = 300;
const OPTS = { warmupMs: 300, roundMs: 80, rounds: 9 };

function domain(i: number): LedgerDomain {
  return {
    name: `d${i}`, domid: i + 1, configText: `name = "d${i}"\nmemory = 64\nvnvdimms = [ 'size=16M' ]\n`, backend: "builtin", memoryMiB: 64, status: "running",
    createdAt: "2024-01-01T00:00:00.000Z",
    extents: [{ id: "vnvdimm0", slot: 0, smfn: 0x100000 + i * 0x1020, nrPages: 0x1020, nrLabelPages: 32, node: 0, unarmed: false, spec: "size=16777216, label_size=131072", state: "held", provisioned: true, txid: `00000000-0000-4000-8000-${String(i).padStart(12, "0")}` }],
  };
}

const ledgerOf = (n: number): Ledger => ({ version: 1, generation: 0n, domains: Array.from({ length: n }, (_, i) => domain(i)), released: [] });
const flip = (l: Ledger) => { l.domains[0]!.status = l.domains[0]!.status === "running" ? "stopped" : "running"; };

/** The whole-file ledger of vnvdimm before the journal, as it read and wrote it. */
const wholeFile = {
  read(state: string): Ledger {
    return LedgerSchema.parse(JSON.parse(readFileSync(ledgerPath(state), "utf8")));
  },
  write(state: string, l: Ledger): void {
    const p = ledgerPath(state);
    const tmp = `${p}.tmp-${process.pid}`;
    const fd = openSync(tmp, "w", 0o600);
    try {
      writeSync(fd, JSON.stringify({ ...l, generation: l.generation + 1n }, (_k, v: unknown) => (typeof v === "bigint" ? v.toString() : v), 2) + "\n");
      fsyncSync(fd);
    } finally { closeSync(fd); }
    renameSync(tmp, p);
    const d = openSync(dirname(p), "r");
    try { fsyncSync(d); } finally { closeSync(d); }
  },
};

function state(kind: "journal" | "whole", domains: number): { dir: string; mutate: () => void } {
  const dir = mkdtempSync(join(tmpdir(), `vnvdimm-bench-ledger-${kind}-`));
  const s = join(dir, "state");
  withLedgerLock(s, () => writeLedger(s, ledgerOf(domains)));
  if (kind === "whole") {
    // Today's file, from the journal's ledger, in the format it had.
    wholeFile.write(s, readLedger(s));
    rmSync(join(s, "toolstack", "ledger.journal"));
  }
  const rw = kind === "journal" ? { read: readLedger, write: writeLedger } : wholeFile;
  return { dir, mutate: () => withLedgerLock(s, () => { const l = rw.read(s); flip(l); rw.write(s, l); }) };
}

export function benchLedger(): BenchRow[] {
  const states = { j0: state("journal", 1), j300: state("journal", 1 + OTHERS), w0: state("whole", 1), w300: state("whole", 1 + OTHERS) };
  try {
    const journal = measurePair(states.j300.mutate, states.j0.mutate, OPTS);
    const whole = measurePair(states.w300.mutate, states.w0.mutate, OPTS);
    const at300 = measurePair(states.j300.mutate, states.w300.mutate, OPTS);
    const at0 = measurePair(states.j0.mutate, states.w0.mutate, OPTS);
    return [
      { figure: `ledger mutation, journal: ${OTHERS} other domains vs none`, value: nsPerOp(journal.opNs), baseline: nsPerOp(journal.baselineNs), ratio: ratioText(journal.ratio) },
      { figure: `ledger mutation, whole file (before): ${OTHERS} other domains vs none`, value: nsPerOp(whole.opNs), baseline: nsPerOp(whole.baselineNs), ratio: ratioText(whole.ratio) },
      { figure: `ledger mutation, ${OTHERS} other domains: journal vs whole file`, value: nsPerOp(at300.opNs), baseline: nsPerOp(at300.baselineNs), ratio: ratioText(at300.ratio) },
      { figure: "ledger mutation, no other domain: journal vs whole file", value: nsPerOp(at0.opNs), baseline: nsPerOp(at0.baselineNs), ratio: ratioText(at0.ratio) },
    ];
  } finally {
    for (const s of Object.values(states)) rmSync(s.dir, { recursive: true, force: true });
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href) printRows(benchLedger(), process.argv.includes("--json"));
