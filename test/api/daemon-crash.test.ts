// kill -9 of `vnvdimm up` in the middle of a request, at each crash point of
// the toolstack: the daemon runs with VNVDIMM_CRASH_AT=<point>, an API client
// sends the mutation that passes it, the daemon dies mid-request (the client
// sees the connection go) and is started again. Then every mutation it had
// acknowledged is there (a guest's write too), the interrupted one is not
// half there (it is listed as the CLI lists it: interrupted, unfinished, or
// awaiting its scrub), no extent is owned twice, and the restarted living
// host owns exactly the ledger's held extents of running domains, as an
// independent boot does. `reclaim` through the API then finishes the job:
// the pages are zeroed and free, and the answers are settled again.
import { test } from "node:test";
import assert from "node:assert/strict";
import { join } from "node:path";
import { CONTROL_DOMID, checkInvariants } from "../../src/hypervisor/index.js";
import { isInterrupted, listDomains, openHostMedia, openToolstack, readLedger } from "../../src/toolstack/index.js";
import { toJson } from "../../src/api/index.js";
import { api, initReservedHost, runCli, smallSpecFile, startDaemon, tempDir, type Daemon } from "./daemon.js";
import { crossProblems, domainsProblems, mapProblems, regionsProblems, type DomainsAnswer, type MapAnswer, type RegionRow } from "./consistency.js";

type Victim = "create" | "attach" | "delete" | "detach";
const CASES: { point: string; victim: Victim }[] = [
  { point: "create.after-intent", victim: "create" },
  { point: "create.mid-provision", victim: "create" },
  { point: "create.before-commit", victim: "create" },
  { point: "attach.after-intent", victim: "attach" },
  { point: "delete.after-release", victim: "delete" },
  { point: "scrub.before-free", victim: "delete" },
  { point: "scrub.before-free", victim: "detach" },
];

const config = (name: string, ...specs: string[]) =>
  `name = "${name}"\nmemory = 256\nvnvdimms = [ ${specs.map((s) => `'${s}'`).join(", ")} ]\n`;

/** Name → status and vNVDIMM ids, as the list must show them. */
type Model = Map<string, { status: string; ids: string[] }>;

interface Op { what: string; passes: string[]; method: string; path: string; body?: unknown; status: number; apply(m: Model): void }

/** Mutations the crash-armed daemon acknowledges before the fatal one: each that does not pass the armed point. */
const ACKED: Op[] = [
  { what: "attach b", passes: ["attach.after-intent"], method: "POST", path: "/api/domains/b/vnvdimms", body: { spec: "size=16M, namespace=fsdax:hot", force: true }, status: 201,
    apply: (m) => { m.get("b")!.ids.push("vnvdimm1"); } },
  { what: "detach a/vnvdimm1", passes: ["scrub.before-free"], method: "DELETE", path: "/api/domains/a/vnvdimms/vnvdimm1", status: 200,
    apply: (m) => { m.get("a")!.ids = m.get("a")!.ids.filter((x) => x !== "vnvdimm1"); } },
  { what: "destroy b", passes: [], method: "POST", path: "/api/domains/b/destroy", status: 200, apply: (m) => { m.get("b")!.status = "stopped"; } },
  { what: "create c", passes: ["create.after-intent", "create.mid-provision", "create.before-commit"], method: "POST", path: "/api/domains",
    body: { config: config("c", "size=16M, namespace=raw:c"), force: true }, status: 201, apply: (m) => { m.set("c", { status: "running", ids: ["vnvdimm0"] }); } },
  { what: "delete s", passes: ["delete.after-release", "scrub.before-free"], method: "DELETE", path: "/api/domains/s", status: 200, apply: (m) => { m.delete("s"); } },
];

/** The fatal request, and what it must (not) have left behind. */
const VICTIMS: Record<Victim, { method: string; path: string; body?: unknown; apply(m: Model): void; cli: RegExp }> = {
  create: {
    method: "POST", path: "/api/domains", body: { config: config("victim", "size=16M, namespace=fsdax:v", "size=16M, namespace=raw:w"), force: true },
    apply: (m) => { m.set("victim", { status: "interrupted", ids: ["vnvdimm0", "vnvdimm1"] }); },
    cli: /victim +- +interrupted .*\n(.*\n)* {2}victim: its create was interrupted \(a crash\); `vnvdimm reclaim` will zero and free vnvdimm0, vnvdimm1 \([\d.]+ [KMG]iB, \d+ pages\), and remove the domain\n(.*\n)*Unfinished allocations \(a crash mid-operation\): victim \(2\); run `vnvdimm reclaim`/,
  },
  attach: {
    method: "POST", path: "/api/domains/a/vnvdimms", body: { spec: "id=crashed, size=16M, namespace=raw:crashed", force: true },
    apply: (m) => { m.get("a")!.ids.push("crashed"); },
    cli: / {2}a: `vnvdimm reclaim` will zero and free the unfinished crashed \([\d.]+ [KMG]iB, \d+ pages\); the domain keeps the rest\n(.*\n)*Unfinished allocations \(a crash mid-operation\): a \(1\); run `vnvdimm reclaim`/,
  },
  delete: {
    method: "DELETE", path: "/api/domains/v",
    apply: (m) => { m.delete("v"); },
    cli: /Awaiting their scrub \(a crash mid-delete\): v\/vnvdimm0@0x[0-9a-f]+; run `vnvdimm reclaim`/,
  },
  detach: {
    method: "DELETE", path: "/api/domains/a/vnvdimms/vnvdimm1",
    apply: (m) => { m.get("a")!.ids = m.get("a")!.ids.filter((x) => x !== "vnvdimm1"); },
    cli: /Awaiting their scrub \(a crash mid-delete\): a\/vnvdimm1@0x[0-9a-f]+; run `vnvdimm reclaim`/,
  },
};

async function ok(d: Daemon, method: string, path: string, body: unknown, status: number): Promise<unknown> {
  const r = await api(d, method, path, body, d.token);
  assert.equal(r.status, status, `${method} ${path}: ${r.text}`);
  return r.body;
}

interface Reads { list: DomainsAnswer; regions: RegionRow[]; map: MapAnswer }

/** The three reads, each whole, and together in agreement (nothing else talks to this daemon). */
async function readAll(d: Daemon, settled: boolean): Promise<Reads> {
  const list = await ok(d, "GET", "/api/domains", undefined, 200);
  const regions = await ok(d, "GET", "/api/pmem/regions?types=data", undefined, 200);
  const map = await ok(d, "GET", "/api/pmem/map", undefined, 200);
  assert.deepEqual(domainsProblems(list, { settled }), []);
  assert.deepEqual(regionsProblems(regions), []);
  assert.deepEqual(mapProblems(map, { settled }), []);
  const r = { list: list as DomainsAnswer, regions: (regions as { regions: RegionRow[] }).regions, map: map as MapAnswer };
  assert.deepEqual(crossProblems(r.list, r.regions, r.map), []);
  return r;
}

/** The living host owns exactly the ledger's held extents of running domains, and an independent boot agrees region by region. */
function checkAgainstLedger(state: string, regions: RegionRow[]): void {
  const ledger = readLedger(state);
  const held = ledger.domains.filter((x) => x.status === "running" && !isInterrupted(x))
    .reduce((n, x) => n + x.extents.filter((e) => e.state === "held").reduce((m, e) => m + e.nrPages, 0), 0);
  assert.equal(regions.reduce((n, r) => n + r.ownedPages, 0), held, "the living host owns the ledger's held extents of running domains");
  const ts = openToolstack(state, { readOnly: true });
  try {
    assert.deepEqual(checkInvariants(ts.booted.hv), []);
    const booted = ts.booted.hv.pmemGetRegions(CONTROL_DOMID, "data");
    assert.ok(booted.ok);
    const counts = (r: { smfn: number; emfn: number; freePages?: number; ownedPages?: number; brokenPages?: number }) => [r.smfn, r.emfn, r.freePages, r.ownedPages, r.brokenPages];
    assert.deepEqual(regions.map(counts), booted.value.map((r) => (r.type === "data" ? counts(r) : assert.fail(r.type))));
  } finally {
    ts.close();
  }
}

const shape = (l: DomainsAnswer) => Object.fromEntries(l.domains.map((x) => [x.name, { status: x.status, ids: x.vnvdimms.map((v) => v.id).sort() }]));
const modelShape = (m: Model) => Object.fromEntries([...m].map(([k, v]) => [k, { status: v.status, ids: [...v.ids].sort() }]));
const MARK = "acknowledged before the crash";

for (const { point, victim } of CASES) {
  test(`vnvdimm up killed at ${point} during ${victim === "attach" ? "an" : "a"} ${victim}: acknowledged mutations stay, the interrupted one is not half there, the living host owns the ledger's extents`, { timeout: 300_000 }, async () => {
    const dir = tempDir("daemon-crash");
    const state = join(dir, "state");
    await initReservedHost(state, smallSpecFile(dir));
    const model: Model = new Map();

    // Before: a and b run, s and v are stopped; then the power goes (kill -9 with nothing in flight).
    let d = await startDaemon(state);
    for (const n of ["a", "b", "s", "v"]) {
      await ok(d, "POST", "/api/domains", { config: config(n, `size=16M, namespace=raw:${n}`), force: true }, 201);
      model.set(n, { status: "running", ids: ["vnvdimm0"] });
    }
    await ok(d, "POST", "/api/domains/a/vnvdimms", { spec: "size=16M, namespace=fsdax:f", force: true }, 201);
    model.get("a")!.ids.push("vnvdimm1");
    for (const n of ["s", "v"]) {
      await ok(d, "POST", `/api/domains/${n}/destroy`, undefined, 200);
      model.get(n)!.status = "stopped";
    }
    assert.equal((await d.stop("SIGKILL")).signal, "SIGKILL");

    // The armed daemon: what it acknowledges, then the request it dies in.
    d = await startDaemon(state, [], { env: { VNVDIMM_CRASH_AT: point } });
    for (const op of ACKED.filter((o) => !o.passes.includes(point))) {
      await ok(d, op.method, op.path, op.body, op.status);
      op.apply(model);
    }
    await ok(d, "POST", "/api/domains/a/namespaces/a/data", { offset: 0, base64: Buffer.from(MARK).toString("base64") }, 200);
    const v = VICTIMS[victim];
    await assert.rejects(api(d, v.method, v.path, v.body, d.token), "the client sees the connection go, not an answer");
    assert.deepEqual(await d.exited, { code: null, signal: "SIGKILL" }, `the daemon died at ${point}`);
    v.apply(model);

    // Restarted: a host reboot.
    d = await startDaemon(state);
    try {
      const before = await readAll(d, false);
      assert.deepEqual(shape(before.list), modelShape(model), "every acknowledged mutation is there, the interrupted one as far as it got");
      const data = await ok(d, "GET", `/api/domains/a/namespaces/a/data?offset=0&length=${MARK.length}`, undefined, 200) as { base64: string };
      assert.equal(Buffer.from(data.base64, "base64").toString(), MARK, "a guest's acknowledged write survived");
      checkAgainstLedger(state, before.regions);
      const cli = await runCli(["list", "--state", state]);
      assert.equal(cli.code, 0, cli.err);
      assert.match(cli.out, v.cli);

      // Not half there, in the victim's own terms; and what reclaim will have to zero.
      let pending: { smfn: number; nrPages: number }[];
      if (victim === "create" || victim === "attach") {
        const name = victim === "create" ? "victim" : "a";
        assert.deepEqual(before.list.orphans.map((o) => o.domain), [name]);
        assert.deepEqual(before.list.released, []);
        assert.ok(before.list.orphans[0]!.extents.every((e) => e.state === "allocating"));
        pending = before.list.orphans[0]!.extents;
        const ns = await api(d, "GET", `/api/domains/${name}/namespaces`, undefined, d.token);
        if (victim === "create") {
          assert.equal(ns.status, 409, ns.text);
          assert.equal((ns.body as { reason?: string }).reason, "domain.interrupted");
        } else {
          assert.equal(ns.status, 200, ns.text);
          assert.deepEqual((ns.body as { namespaces: { name: string }[] }).namespaces.map((n) => n.name).sort(), model.get("a")!.ids.includes("vnvdimm1") ? ["a", "f"] : ["a"], "the running guest never saw the unfinished vNVDIMM");
        }
      } else {
        assert.deepEqual(before.list.orphans, []);
        const from = victim === "delete" ? ["v", "vnvdimm0"] : ["a", "vnvdimm1"];
        assert.deepEqual(before.list.released.map((r) => [r.from, r.id, r.keep]), [[...from, false]]);
        pending = before.list.released;
      }

      // A domain created now never gets the pages the crash left behind.
      await ok(d, "POST", "/api/domains", { config: config("after", "size=64M, namespace=raw:after"), force: true }, 201);
      model.set("after", { status: "running", ids: ["vnvdimm0"] });
      const during = await readAll(d, false);
      assert.deepEqual(shape(during.list), modelShape(model));
      checkAgainstLedger(state, during.regions);

      // Reclaim finishes the job: the pages are zeroed and free, and every answer is settled again.
      const r = await ok(d, "POST", "/api/reclaim", {}, 200) as { reclaimed: { domain: string }[]; scrubbed: { smfn: number }[] };
      assert.deepEqual(r.reclaimed.map((x) => x.domain), victim === "create" ? ["victim"] : victim === "attach" ? ["a"] : []);
      assert.deepEqual(r.scrubbed.map((x) => x.smfn).sort(), pending.map((x) => x.smfn).sort(), "reclaim zeroed and freed what the crash left, and nothing else");
      if (victim === "create") model.delete("victim");
      if (victim === "attach") model.get("a")!.ids = model.get("a")!.ids.filter((x) => x !== "crashed");
      const after = await readAll(d, true);
      assert.deepEqual(shape(after.list), modelShape(model));
      checkAgainstLedger(state, after.regions);
      const { media, close } = openHostMedia(state);
      try {
        for (const e of pending) {
          const w = media(BigInt(e.smfn) * 4096n, BigInt(e.nrPages) * 4096n)!;
          assert.ok(!w.media.read(w.offset, e.nrPages * 4096).some((b) => b !== 0), `MFNs ${e.smfn}+${e.nrPages} are zero`);
        }
      } finally { close(); }
      assert.equal(toJson(after.list), toJson(listDomains(state)), "an independent boot lists the same");
    } finally {
      const end = await d.stop();
      assert.equal(end.code, 0, end.stderr);
    }
  });
}
