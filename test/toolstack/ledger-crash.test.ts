// kill -9 at every write point of the ledger's journal (appends, their
// fsync, the torn-tail cut, the snapshot's write, fsync and rename, the
// journal's rotation), in a writer process of its own, on a state directory
// that starts with a ledger.json from before the journal (so the migration's
// snapshot is crashed too). After the kill, a restart reads exactly the
// ledger after the acknowledged mutations, or after one more (the killed one
// had reached the disk whole but was not acknowledged): never part of one.
// Then a writer carries on from there to the end, and reads back the end.
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { isDeepStrictEqual } from "node:util";
import { ledgerPath, readLedger, type Ledger } from "../../src/toolstack/index.js";
import { content, references } from "./ledger-model.js";

const here = dirname(fileURLToPath(import.meta.url));
const child = join(here, "ledger-writer-child.js");
const SOURCE = join(here, "..", "..", "..", "src", "toolstack", "ledger-journal.ts");
const BASE_STEPS = 4;
const STEPS = 14;
/** Small enough that a compaction comes every few appends. */
const COMPACT_BYTES = "2000";
const EMPTY: Ledger = { version: 1, generation: 0n, domains: [], released: [] };
const refs = references(EMPTY, STEPS);

/** A state directory holding the ledger after BASE_STEPS steps as the whole-file ledger.json of before the journal. */
function legacyState(): string {
  const state = join(mkdtempSync(join(tmpdir(), "vnvdimm-ledger-crash-")), "state");
  mkdirSync(join(state, "toolstack"), { recursive: true, mode: 0o700 });
  const l = refs[BASE_STEPS]!;
  writeFileSync(ledgerPath(state), JSON.stringify({ version: 1, generation: "7", domains: l.domains, released: l.released }, null, 2));
  return state;
}

function writer(state: string, from: number, crashAt?: string): { acked: number; signal: NodeJS.Signals | null; status: number | null; stderr: string } {
  const env: NodeJS.ProcessEnv = { ...process.env, VNVDIMM_LEDGER_COMPACT_BYTES: COMPACT_BYTES };
  delete env["VNVDIMM_CRASH_AT"];
  if (crashAt) env["VNVDIMM_CRASH_AT"] = crashAt;
  const r = spawnSync(process.execPath, [child, state, String(from), String(STEPS)], { encoding: "utf8", env });
  return { acked: r.stdout.split("\n").filter((x) => x.startsWith("ack ")).length, signal: r.signal, status: r.status, stderr: r.stderr };
}

/** Which reference the ledger on disk is, given that the steps from..from+acked-1 were acknowledged. */
function recovered(state: string, from: number, acked: number): number {
  const now = content(readLedger(state, { fresh: true }));
  const done = from + acked;
  if (isDeepStrictEqual(now, content(refs[done]!))) return done;
  if (done < STEPS && isDeepStrictEqual(now, content(refs[done + 1]!))) return done + 1;
  assert.fail(`after ${done} acknowledged steps the ledger is neither after step ${done} nor after step ${done + 1}:\n${JSON.stringify(now)}`);
}

/** Every crash point the journal has, from its source: a new one without a case here fails the test below. */
const points = [...readFileSync(SOURCE, "utf8").matchAll(/"((?:journal|snapshot)\.[a-z-]+)"/g)].map((m) => m[1]!).filter((p, i, all) => all.indexOf(p) === i);
/** The torn-tail cut only happens after a torn append: those cases crash mid-append first. */
const AFTER_TORN = new Set(["journal.before-truncate", "journal.after-truncate"]);

test("the journal's crash points are the ones this test kills at", () => {
  assert.deepEqual([...points].sort(), [
    "journal.after-fsync", "journal.after-rotate", "journal.after-truncate", "journal.before-append", "journal.before-fsync", "journal.before-rotate",
    "journal.before-rotate-fsync", "journal.before-rotate-rename", "journal.before-truncate", "journal.mid-append", "journal.mid-rotate",
    "snapshot.after-rename", "snapshot.before-fsync", "snapshot.before-rename", "snapshot.before-write", "snapshot.mid-write",
  ]);
});

for (const point of points) {
  // A torn append at every mutation (some are one operation, some several); the other points at the first pass and a later one.
  const passes = point === "journal.mid-append" ? Array.from({ length: STEPS - BASE_STEPS }, (_, i) => i + 1) : AFTER_TORN.has(point) ? [1] : [1, 3];
  for (const nth of passes) {
    test(`kill -9 at ${point} (pass ${nth}): the acknowledged mutations are there, the killed one whole or not at all, and a writer carries on`, () => {
      const state = legacyState();
      try {
        let at = BASE_STEPS;
        if (AFTER_TORN.has(point)) {
          const torn = writer(state, at, "journal.mid-append@2");
          assert.equal(torn.signal, "SIGKILL", torn.stderr);
          at = recovered(state, at, torn.acked);
          assert.equal(at, BASE_STEPS + torn.acked, "a torn append is not there");
        }
        const w = writer(state, at, `${point}@${nth}`);
        assert.equal(w.signal, "SIGKILL", `the writer reached ${point} ${nth} times and died there: ${w.stderr}`);
        at = recovered(state, at, w.acked);
        const rest = writer(state, at);
        assert.equal(rest.status, 0, rest.stderr);
        assert.deepEqual(content(readLedger(state, { fresh: true })), content(refs[STEPS]!));
      } finally {
        rmSync(dirname(state), { recursive: true, force: true });
      }
    });
  }
}
