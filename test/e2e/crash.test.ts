// kill -9 in the middle of `vnvdimm create`, at each crash point: a restart
// finds no extent owned twice, reports the orphan, and `reclaim` releases it.
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { journalPath, ledgerPath, listDomains, openHostMedia, readLedger } from "../../src/toolstack/index.js";
import { describeIssue, parseJsonExact, routeById } from "../../src/api/index.js";

const bin = join(dirname(fileURLToPath(import.meta.url)), "..", "..", "..", "bin", "vnvdimm");
// Each command in its own process (no living host), so that the crash point kills the very process doing the work.
const vnv = (env: Record<string, string>, ...args: string[]) => spawnSync(process.execPath, [bin, ...args], { encoding: "utf8", env: { ...process.env, VNVDIMM_NO_AUTOSTART: "1", ...env } });

/** A fresh one-DIMM host, reserved, by the real CLI; `cfg(name)` writes a domain config with the given vNVDIMM spec. */
function crashHost(vnvdimm: string): { dir: string; state: string; cfg: (name: string) => string } {
  const dir = mkdtempSync(join(tmpdir(), "vnvdimm-crash-"));
  const spec = join(dir, "m.json");
  writeFileSync(spec, JSON.stringify({ name: "c", sockets: [{ node: 0, ram: "1G" }], nvdimms: [{ node: 0, size: "512M" }] }));
  const state = join(dir, "s");
  assert.equal(vnv({}, "host", "init", "--state", state, "--spec", spec).status, 0);
  assert.equal(vnv({}, "pmem", "reserve", "--dimm", "0", "--state", state).status, 0);
  const cfg = (n: string) => { const p = join(dir, `${n}.cfg`); writeFileSync(p, `name = "${n}"\nmemory = 256\nvnvdimms = [ '${vnvdimm}' ]\n`); return p; };
  return { dir, state, cfg };
}

// journal.mid-append@2: the commit record torn half way (the first append is the intent's), as a kill -9 or power cut mid-write leaves it.
for (const point of ["create.after-intent", "create.mid-provision", "create.before-commit", "journal.mid-append@2"]) {
  test(`kill -9 at ${point}: no extent owned twice, the orphan is reported and reclaimable`, () => {
    const { state, cfg } = crashHost("size=64M, namespace=fsdax:d");
    const crashed = vnv({ VNVDIMM_CRASH_AT: point }, "create", cfg("victim"), "--state", state);
    assert.equal(crashed.signal, "SIGKILL");
    const after = listDomains(state);
    assert.deepEqual(after.orphans.map((o) => o.domain), ["victim"]);
    // Not running: interrupted, never started, with what reclaim will do; in the text, the JSON and the API's schema.
    assert.deepEqual(after.domains.map((d) => [d.name, d.status, d.domid]), [["victim", "interrupted", null]]);
    assert.match(vnv({}, "list", "--state", state).stdout, /victim +- +interrupted .*\n {2}victim: its create was interrupted \(a crash\); `vnvdimm reclaim` will zero and free vnvdimm0 \(64.1 MiB, 16416 pages\), and remove the domain/);
    const json = parseJsonExact(vnv({}, "list", "--json", "--state", state).stdout);
    const parsed = routeById("listDomains").output!.safeParse(json);
    assert.ok(parsed.success, parsed.success ? "" : describeIssue(parsed.error));
    assert.match((json as { domains: { status: string; reclaim: string }[] }).domains[0]!.reclaim, /and remove the domain/);
    // Guest verbs refuse in one line, pointing at reclaim, instead of showing a guest with nothing.
    for (const verb of [["namespaces", "victim"], ["read", "victim", "d", "0", "1"]]) {
      const g = vnv({}, "guest", ...verb, "--state", state);
      assert.equal(g.status, 1, g.stdout);
      assert.match(g.stderr, /^vnvdimm: Domain victim has no guest: its create was interrupted \(a crash\); run `vnvdimm reclaim`\n {2}hint: [^\n]+\n$/);
    }
    // Another domain created now never gets the orphan's pages.
    assert.equal(vnv({}, "create", cfg("other"), "--state", state).status, 0);
    const all = listDomains(state).domains.flatMap((d) => d.vnvdimms.map((v) => [v.smfn, v.smfn + v.nrPages] as const)).sort((a, b) => a[0] - b[0]);
    for (let i = 1; i < all.length; i++) assert.ok(all[i - 1]![1] <= all[i]![0], "no extent owned twice");
    const listed = vnv({}, "list", "--state", state);
    assert.match(listed.stdout, /Unfinished allocations .*victim.*vnvdimm reclaim/);
    assert.equal(vnv({}, "reclaim", "--state", state).status, 0);
    assert.deepEqual(listDomains(state).orphans, []);
    assert.deepEqual(listDomains(state).domains.map((d) => d.name).sort(), ["other"]);
  });
}

for (const point of ["delete.after-release", "scrub.before-free"]) {
  test(`kill -9 at ${point}: the pages stay out of the pool, list says why, and reclaim zeroes and frees them`, () => {
    const { state, cfg } = crashHost("size=64M, namespace=fsdax:d");
    assert.equal(vnv({}, "create", cfg("victim"), "--state", state).status, 0);
    const smfn = listDomains(state).domains[0]!.vnvdimms[0]!.smfn;
    assert.equal(vnv({}, "destroy", "victim", "--state", state).status, 0);
    const crashed = vnv({ VNVDIMM_CRASH_AT: point }, "delete", "victim", "--state", state);
    assert.equal(crashed.signal, "SIGKILL");
    assert.deepEqual(listDomains(state).released.map((r) => [r.from, r.smfn, r.keep]), [["victim", smfn, false]]);
    assert.match(vnv({}, "list", "--state", state).stdout, /Awaiting their scrub \(a crash mid-delete\): victim\/vnvdimm0@0x[0-9a-f]+; run `vnvdimm reclaim`/);
    // Pages waiting for their scrub are never handed out.
    assert.equal(vnv({}, "create", cfg("other"), "--state", state).status, 0);
    assert.notEqual(listDomains(state).domains.find((d) => d.name === "other")!.vnvdimms[0]!.smfn, smfn);
    const r = vnv({}, "reclaim", "--state", state);
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /Zeroed and freed [\d.]+ [KMG]iB \(\d+ pages\) at 0x[0-9a-f]+ \(victim\/vnvdimm0\)/);
    assert.deepEqual(listDomains(state).released, []);
    const { media, close } = openHostMedia(state);
    try {
      const w = media(BigInt(smfn) * 4096n, 64n << 20n)!;
      assert.ok(!w.media.read(w.offset, 64 << 20).some((b) => b !== 0), "zeroed");
    } finally { close(); }
  });
}

test("domids are stable: a domain keeps its domid across reboots, an interrupted create, reclaim, and a stop and start", () => {
  const { state, cfg } = crashHost("size=32M");
  const domids = () => Object.fromEntries(listDomains(state).domains.map((d) => [d.name, d.domid]));
  assert.equal(vnv({}, "create", cfg("a"), "--state", state).status, 0);
  assert.equal(vnv({ VNVDIMM_CRASH_AT: "create.before-commit" }, "create", cfg("victim"), "--state", state).signal, "SIGKILL");
  assert.match(vnv({}, "create", cfg("b"), "--state", state).stdout, /Created domain b \(domid 3,/);
  assert.equal(vnv({}, "create", cfg("c"), "--state", state).status, 0);
  assert.deepEqual(domids(), { a: 1, victim: null, b: 3, c: 4 });
  // Each command is a host reboot; reclaim removes the victim, and nobody is renumbered.
  assert.equal(vnv({}, "reclaim", "--state", state).status, 0);
  assert.deepEqual(domids(), { a: 1, b: 3, c: 4 });
  // Stopping a domain frees nothing of anyone else's: the others keep theirs, and it gets its own back.
  assert.equal(vnv({}, "destroy", "a", "--state", state).status, 0);
  assert.deepEqual(domids(), { a: null, b: 3, c: 4 });
  assert.match(vnv({}, "create", cfg("a"), "--state", state).stdout, /Started domain a \(domid 1,/);
  assert.equal(vnv({}, "destroy", "b", "--state", state).status, 0);
  assert.deepEqual(domids(), { a: 1, b: null, c: 4 });
  assert.match(vnv({}, "create", cfg("b"), "--state", state).stdout, /Started domain b \(domid 3,/);
  // A new domain takes the lowest domid no domain has, here the victim's.
  assert.match(vnv({}, "create", cfg("d"), "--state", state).stdout, /Created domain d \(domid 2,/);
  assert.deepEqual(domids(), { a: 1, b: 3, c: 4, d: 2 });
});

test("a ledger from before recorded domids: its domains get the lowest free ones in ledger order, kept from the next write on", () => {
  const { state, cfg } = crashHost("size=32M");
  for (const n of ["a", "b", "c"]) assert.equal(vnv({}, "create", cfg(n), "--state", state).status, 0);
  // The whole-file ledger.json of a vnvdimm from before domids (and before the journal).
  const old = readLedger(state);
  rmSync(journalPath(state));
  writeFileSync(ledgerPath(state), JSON.stringify({ version: 1, generation: String(old.generation), domains: old.domains.map(({ domid: _, ...d }) => d), released: old.released }));
  const domids = () => Object.fromEntries(listDomains(state).domains.map((d) => [d.name, d.domid]));
  assert.deepEqual(domids(), { a: 1, b: 2, c: 3 });
  assert.equal(vnv({}, "destroy", "a", "--state", state).status, 0);
  assert.deepEqual(domids(), { a: null, b: 2, c: 3 });
  assert.deepEqual((JSON.parse(readFileSync(ledgerPath(state), "utf8")) as { domains: { domid?: number }[] }).domains.map((d) => d.domid), [1, 2, 3]);
});
