// The ledger's journal: its record framing (one test per way a record can be
// bad), what one mutation writes, the damage a reader must refuse rather
// than drop, and a property: random mutation sequences with random torn
// tails, compactions and restarts read back as a reference model says.
import { test } from "node:test";
import assert from "node:assert/strict";
import { appendFileSync, existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import fc from "fast-check";
import { LedgerError, compactLedger, journalPath, ledgerPath, ledgerStamp, readLedger, withLedgerLock, writeLedger, type Ledger } from "../../src/toolstack/index.js";
import { decodeFrames, encodeFrame } from "../../src/toolstack/journal-frame.js";
import { content, domainAt, step } from "./ledger-model.js";

const EMPTY: Ledger = { version: 1, generation: 0n, domains: [], released: [] };
const tempState = () => join(mkdtempSync(join(tmpdir(), "vnvdimm-journal-")), "state");
const write = (state: string, l: Ledger) => withLedgerLock(state, () => writeLedger(state, l));

test("a record round-trips, and its bytes are `<length> <crc32> <payload>\\n`", () => {
  const f = encodeFrame(`{"seq":"1","note":"é"}`);
  assert.match(f.toString("utf8"), /^23 [0-9a-f]{8} \{"seq":"1","note":"é"\}\n$/);
  const two = Buffer.concat([f, encodeFrame("{}")]);
  const d = decodeFrames(two);
  assert.deepEqual(d.frames.map((x) => x.payload), [`{"seq":"1","note":"é"}`, "{}"]);
  assert.equal(d.validEnd, two.length);
  assert.equal(d.tail, undefined);
});

test("a record cut at every length is a torn tail: dropped, never half read", () => {
  const whole = encodeFrame(`{"seq":"7","ops":[]}`);
  const before = encodeFrame("{}");
  for (let n = 0; n < whole.length; n++) {
    const d = decodeFrames(Buffer.concat([before, whole.subarray(0, n)]));
    assert.deepEqual(d.frames.map((x) => x.payload), ["{}"], `cut at ${n}`);
    assert.equal(d.validEnd, before.length);
    assert.equal(d.tail, n === 0 ? undefined : "short", `cut at ${n}`);
    assert.equal(d.wholeAfterTail, undefined);
  }
});

test("each way a record can be bad has its reason", () => {
  const f = encodeFrame(`{"a":1}`);
  const bad = (mutate: (b: Buffer) => void) => { const b = Buffer.from(f); mutate(b); return decodeFrames(b).tail; };
  assert.equal(bad((b) => { b[0] = 0x78; }), "length", "not a decimal length");
  assert.equal(decodeFrames(Buffer.from(`999999999 00000000 {}\n`)).tail, "length", "a length no record has");
  assert.equal(bad((b) => { b[b.length - 3]! ^= 1; }), "crc", "a payload byte changed");
  assert.equal(bad((b) => { b[3] = b[3] === 0x30 ? 0x31 : 0x30; }), "crc", "the checksum changed");
  assert.equal(bad((b) => { b[b.length - 1] = 0x20; }), "newline", "no newline after the payload");
  assert.equal(decodeFrames(Buffer.concat([Buffer.alloc(12), f])).tail, "length", "zeros (a power cut that kept the size, not the data)");
});

test("damage followed by whole records is not a torn tail: the ledger is refused, naming the byte", () => {
  const state = tempState();
  try {
    let l = EMPTY;
    for (let i = 0; i < 3; i++) { l = step(l, i); write(state, l); }
    const bytes = readFileSync(journalPath(state));
    const frames = decodeFrames(bytes).frames;
    const second = frames[2]!;
    bytes[second.start + 30]! ^= 0x01;
    writeFileSync(journalPath(state), bytes);
    assert.throws(() => readLedger(state, { fresh: true }), (e: unknown) => e instanceof LedgerError && e.code === "ledger.corrupt" &&
      e.message.includes(`the record at byte ${second.start} is damaged (crc) but whole records follow it at byte ${frames[3]!.start}`));
  } finally { rmSync(join(state, ".."), { recursive: true, force: true }); }
});

test("a journal that starts after its snapshot (one lost) is refused", () => {
  const state = tempState();
  try {
    let l = EMPTY;
    for (let i = 0; i < 3; i++) { l = step(l, i); write(state, l); }
    withLedgerLock(state, () => compactLedger(state));
    const journal = readFileSync(journalPath(state));
    for (let i = 3; i < 5; i++) { l = step(l, i); write(state, l); }
    writeFileSync(journalPath(state), Buffer.concat([encodeFrame(`{"journal":"vnvdimm-ledger","version":1,"base":"9"}`), journal.subarray(decodeFrames(journal).frames[0]!.end)]));
    assert.throws(() => readLedger(state, { fresh: true }), /ledger\.journal: the journal starts after generation 9, the snapshot is at 3/);
  } finally { rmSync(join(state, ".."), { recursive: true, force: true }); }
});

test("a record missing from the middle (a gap in the sequence numbers) is refused, not skipped", () => {
  const state = tempState();
  try {
    let l = EMPTY;
    for (let i = 0; i < 3; i++) { l = step(l, i); write(state, l); }
    const bytes = readFileSync(journalPath(state));
    const f = decodeFrames(bytes).frames;
    writeFileSync(journalPath(state), Buffer.concat([bytes.subarray(0, f[2]!.start), bytes.subarray(f[2]!.end)]));
    assert.throws(() => readLedger(state, { fresh: true }), /ledger\.journal: record 3 follows generation 1/);
  } finally { rmSync(join(state, ".."), { recursive: true, force: true }); }
});

test("one mutation appends one record the size of what changed: 300 domains cost no more than none, and the snapshot is not rewritten", () => {
  const state = tempState();
  try {
    let l: Ledger = { ...EMPTY, domains: [domainAt(0, 1)] };
    write(state, l);
    const grow = () => {
      const size = statSync(journalPath(state)).size;
      const snap = statSync(ledgerPath(state));
      const stamp = ledgerStamp(state);
      l = readLedger(state);
      l.domains[0]!.status = l.domains[0]!.status === "running" ? "stopped" : "running";
      write(state, l);
      const after = statSync(ledgerPath(state));
      assert.equal(after.ino, snap.ino, "the snapshot is the same file");
      assert.equal(after.mtimeMs, snap.mtimeMs, "the snapshot was not written");
      assert.notEqual(ledgerStamp(state), stamp, "the stamp changed");
      return statSync(journalPath(state)).size - size;
    };
    const alone = grow();
    l = readLedger(state);
    for (let i = 1; i <= 300; i++) l.domains.push(domainAt(i, i + 1));
    write(state, l);
    withLedgerLock(state, () => compactLedger(state));
    assert.equal(grow(), alone, "the same record with 300 other domains");
    assert.equal(readLedger(state, { fresh: true }).domains.length, 301);
    // Writing what is there already writes nothing.
    const size = statSync(journalPath(state)).size;
    write(state, readLedger(state));
    assert.equal(statSync(journalPath(state)).size, size);
  } finally { rmSync(join(state, ".."), { recursive: true, force: true }); }
});

type Cmd =
  | { kind: "step"; i: number }
  | { kind: "tear"; i: number; cut: number }
  | { kind: "garbage"; bytes: Uint8Array }
  | { kind: "compact" }
  | { kind: "restart" };

const cmd: fc.Arbitrary<Cmd> = fc.oneof(
  { arbitrary: fc.record({ kind: fc.constant("step" as const), i: fc.nat(99) }), weight: 6 },
  { arbitrary: fc.record({ kind: fc.constant("tear" as const), i: fc.nat(99), cut: fc.double({ min: 0, max: 1, noNaN: true, maxExcluded: true }) }), weight: 2 },
  { arbitrary: fc.record({ kind: fc.constant("garbage" as const), bytes: fc.uint8Array({ minLength: 1, maxLength: 48 }) }), weight: 1 },
  { arbitrary: fc.constant({ kind: "compact" as const }), weight: 1 },
  { arbitrary: fc.constant({ kind: "restart" as const }), weight: 2 },
);

test("property: random mutations, torn tails (cut records, garbage), compactions and restarts read back exactly as the reference", () => {
  const was = process.env["VNVDIMM_LEDGER_COMPACT_BYTES"];
  try {
    fc.assert(fc.property(fc.array(cmd, { maxLength: 24 }), fc.integer({ min: 200, max: 6000 }), (cmds, compactBytes) => {
      process.env["VNVDIMM_LEDGER_COMPACT_BYTES"] = String(compactBytes);
      const state = tempState();
      try {
        let ref = EMPTY;
        let steps = 0;
        for (const c of cmds) {
          if (c.kind === "step") {
            write(state, step(readLedger(state), c.i));
            ref = step(ref, c.i);
            steps++;
          } else if (c.kind === "tear" || c.kind === "garbage") {
            // What a power cut leaves of an append that was never acknowledged.
            if (!existsSync(journalPath(state))) continue;
            const frame = encodeFrame(JSON.stringify({ seq: String(steps + 1), ops: [{ op: "domain.delete", name: `d${c.kind === "tear" ? c.i : 0}` }] }));
            appendFileSync(journalPath(state), c.kind === "tear" ? frame.subarray(0, Math.floor(c.cut * frame.length)) : c.bytes);
          } else if (c.kind === "compact") {
            withLedgerLock(state, () => compactLedger(state));
          }
          const got = readLedger(state, { fresh: c.kind === "restart" });
          assert.deepEqual(content(got), content(ref));
          assert.equal(got.generation, BigInt(steps), "one record per mutation");
        }
        assert.deepEqual(content(readLedger(state, { fresh: true })), content(ref));
      } finally {
        rmSync(join(state, ".."), { recursive: true, force: true });
      }
    }), { numRuns: 60 });
  } finally {
    if (was === undefined) delete process.env["VNVDIMM_LEDGER_COMPACT_BYTES"];
    else process.env["VNVDIMM_LEDGER_COMPACT_BYTES"] = was;
  }
});
