// A state directory from before the journal keeps working: its whole-file
// ledger.json (test/data/ledger-v1, made by that version's CLI) is read as it
// is, reading changes no byte, and the first write converts it (a snapshot
// of version 2, which the old version refuses rather than read without its
// journal, and a journal). Then the CLI runs on it as on any host.
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { journalPath, ledgerPath, listDomains, readLedger, withLedgerLock, writeLedger } from "../../src/toolstack/index.js";
import { decodeFrames } from "../../src/toolstack/journal-frame.js";

const root = join(dirname(fileURLToPath(import.meta.url)), "..", "..", "..");
const FIXTURE = join(root, "test", "data", "ledger-v1");
const bin = join(root, "bin", "vnvdimm");
const vnv = (...args: string[]) => spawnSync(process.execPath, [bin, ...args], { encoding: "utf8" });

function oldState(edit?: (l: { domains: { domid?: number }[] }) => void): string {
  const state = join(mkdtempSync(join(tmpdir(), "vnvdimm-migrate-")), "state");
  mkdirSync(join(state, "toolstack"), { recursive: true, mode: 0o700 });
  const l = JSON.parse(readFileSync(join(FIXTURE, "ledger.json"), "utf8")) as { domains: { domid?: number }[] };
  edit?.(l);
  writeFileSync(ledgerPath(state), JSON.stringify(l, null, 2));
  return state;
}

const summary = (state: string) => {
  const l = readLedger(state, { fresh: true });
  return {
    domains: l.domains.map((d) => [d.name, d.domid, d.status, d.extents.map((e) => `${e.id}@${e.smfn.toString(16)}:${e.state}`).join(" ")]),
    released: l.released.map((r) => [r.from, r.id, r.smfn.toString(16), r.keep]),
  };
};
const FIXTURE_SUMMARY = {
  domains: [
    ["a", 1, "running", "vnvdimm0@100400:held extra@108c00:held"],
    ["b", 2, "stopped", "vnvdimm0@102600:held"],
    ["d", 4, "running", "vnvdimm0@106a00:held"],
    ["v", 3, "running", "vnvdimm0@109e00:allocating"],
  ],
  released: [["c", "vnvdimm0", "104800", true]],
};

test("a ledger.json from before the journal reads as it is, and reading writes nothing", () => {
  const state = oldState();
  try {
    const bytes = readFileSync(ledgerPath(state));
    assert.deepEqual(summary(state), FIXTURE_SUMMARY);
    assert.equal(readLedger(state).generation, 14n);
    assert.deepEqual(readFileSync(ledgerPath(state)), bytes);
    assert.equal(existsSync(journalPath(state)), false);
  } finally { rmSync(dirname(state), { recursive: true, force: true }); }
});

test("the first write converts it: a version 2 snapshot with every domain and released extent, and a journal with the one mutation", () => {
  const state = oldState();
  try {
    withLedgerLock(state, () => {
      const l = readLedger(state);
      l.domains.find((d) => d.name === "d")!.status = "stopped";
      writeLedger(state, l);
    });
    const snapshot = JSON.parse(readFileSync(ledgerPath(state), "utf8")) as { version: number; generation: string; domains: { name: string }[] };
    assert.equal(snapshot.version, 2, "a version the journal-less vnvdimm refuses");
    assert.equal(snapshot.generation, "14");
    assert.deepEqual(snapshot.domains.map((d) => d.name), ["a", "b", "d", "v"]);
    const records = decodeFrames(readFileSync(journalPath(state))).frames.map((f) => JSON.parse(f.payload) as { base?: string; seq?: string; ops?: { op: string }[] });
    assert.deepEqual(records.map((r) => r.base ?? r.seq), ["14", "15"]);
    assert.deepEqual(records[1]!.ops!.map((o) => o.op), ["domain.put"]);
    const want = structuredClone(FIXTURE_SUMMARY);
    want.domains[2]![2] = "stopped";
    assert.deepEqual(summary(state), want);
  } finally { rmSync(dirname(state), { recursive: true, force: true }); }
});

test("an older ledger without domids: the lowest free ones in ledger order on read, recorded by the conversion", () => {
  const state = oldState((l) => { for (const d of l.domains) delete d.domid; });
  try {
    assert.deepEqual(summary(state).domains.map((d) => [d[0], d[1]]), [["a", 1], ["b", 2], ["d", 3], ["v", 4]]);
    withLedgerLock(state, () => { const l = readLedger(state); l.domains[0]!.status = "stopped"; writeLedger(state, l); });
    const snapshot = JSON.parse(readFileSync(ledgerPath(state), "utf8")) as { domains: { domid: number }[] };
    assert.deepEqual(snapshot.domains.map((d) => d.domid), [1, 2, 3, 4]);
  } finally { rmSync(dirname(state), { recursive: true, force: true }); }
});

test("the CLI on a host whose state directory has the old ledger: list, reclaim, create and delete work, and nothing is owned twice", () => {
  const dir = mkdtempSync(join(tmpdir(), "vnvdimm-migrate-cli-"));
  try {
    const state = join(dir, "state");
    assert.equal(vnv("host", "init", "--state", state, "--spec", join(FIXTURE, "m.json")).status, 0);
    assert.equal(vnv("pmem", "reserve", "--dimm", "0", "--state", state).status, 0);
    copyFileSync(join(FIXTURE, "ledger.json"), ledgerPath(state));
    const list = vnv("list", "--state", state);
    assert.equal(list.status, 0, list.stderr);
    assert.match(list.stdout, /v +- +interrupted/);
    assert.match(list.stdout, /Kept by delete --keep-data, owned by nobody: c\/vnvdimm0@0x104800/);
    const r = vnv("reclaim", "--scrub", "--state", state);
    assert.equal(r.status, 0, r.stderr);
    assert.ok(existsSync(journalPath(state)), "converted by the first write");
    const cfg = join(dir, "e.cfg");
    writeFileSync(cfg, `name = "e"\nmemory = 256\nvnvdimms = [ 'size=64M' ]\n`);
    const c = vnv("create", cfg, "--state", state);
    assert.equal(c.status, 0, c.stderr);
    const all = listDomains(state).domains.flatMap((d) => d.vnvdimms.map((v) => [v.smfn, v.smfn + v.nrPages] as const)).sort((x, y) => x[0] - y[0]);
    for (let i = 1; i < all.length; i++) assert.ok(all[i - 1]![1] <= all[i]![0], "no extent owned twice");
    assert.equal(vnv("delete", "b", "--state", state).status, 0);
    assert.deepEqual(listDomains(state).domains.map((d) => [d.name, d.domid]), [["a", 1], ["d", 4], ["e", 3]]);
    assert.deepEqual(listDomains(state).released, []);
  } finally { rmSync(dir, { recursive: true, force: true }); }
});
