// Load: 16 API clients on loopback create, attach, detach, destroy and
// delete domains against one real `vnvdimm up` for 30 s (bounded by time and
// by a count per client), while readers list domains, regions and the pmem
// map. Every read answer is whole (never half a mutation: see consistency.ts);
// now and then, with no mutation in flight, a list, the regions and the map
// read back to back must agree page for page. Afterwards: no extent is owned
// twice, the living host's frame table and every domain record match an
// independent boot, extent for extent (bytes written through the living
// guests read back through the independent boot's), and every request that
// failed said why with a 4xx and a message (a 5xx, a reset or a wrong answer
// fails the test). Prints throughput and latency percentiles.
// VNVDIMM_LOAD_SECONDS shortens or lengthens the run.
import { test } from "node:test";
import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { CONTROL_DOMID, checkInvariants, isOwned, type Hypervisor } from "../../src/hypervisor/index.js";
import { listDomains, openGuest, openToolstack } from "../../src/toolstack/index.js";
import { toJson } from "../../src/api/index.js";
import { api, initReservedHost, smallSpecFile, startDaemon, tempDir, type ApiResult, type Daemon } from "../api/daemon.js";
import { crossProblems, domainsProblems, heldPagesByRegion, mapProblems, regionsProblems, type DomainsAnswer, type MapAnswer, type RegionRow } from "../api/consistency.js";

const SECONDS = Number(process.env["VNVDIMM_LOAD_SECONDS"] ?? 30);
const CLIENTS = 16;
const MAX_ROUNDS_PER_CLIENT = 2000;
const READERS = 3;
/** Pause between two quiescent snapshots: each holds every writer back while it reads. */
const SNAPSHOT_EVERY_MS = 1000;

interface Sample { op: string; ms: number; status: number }
interface Vnv { id: string; smfn: number; nrPages: number }
interface Dom { name: string; status: "running" | "stopped"; vnvdimms: Vnv[] }

/**
 * Mutations in flight, as the clients see them: many at once (shared), or
 * none while a snapshot reads (exclusive). When a mutation's answer has
 * arrived, the daemon has run it and synced the living host; so with none
 * in flight and none let go, reads back to back see one state.
 */
class Gate {
  #inFlight = 0;
  #closed: Promise<void> | undefined;
  #drained: (() => void) | undefined;

  async shared<T>(fn: () => Promise<T>): Promise<T> {
    while (this.#closed) await this.#closed;
    this.#inFlight++;
    try { return await fn(); } finally {
      if (--this.#inFlight === 0) this.#drained?.();
    }
  }

  async exclusive<T>(fn: () => Promise<T>): Promise<T> {
    while (this.#closed) await this.#closed;
    let open!: () => void;
    this.#closed = new Promise((r) => { open = r; });
    try {
      while (this.#inFlight > 0) await new Promise<void>((r) => { this.#drained = r; });
      return await fn();
    } finally {
      this.#drained = undefined;
      this.#closed = undefined;
      open();
    }
  }
}

class Client {
  readonly samples: Sample[] = [];
  readonly unclear: string[] = [];
  readonly wrong: string[] = [];
  constructor(private readonly d: Daemon, readonly name: string, private readonly gate?: Gate) {}

  /** One request; `expect` lists the statuses the client's own model allows. */
  async call(op: string, method: string, path: string, body: unknown, expect: number[]): Promise<ApiResult | undefined> {
    let r: ApiResult;
    const t0 = performance.now();
    try {
      const send = () => api(this.d, method, path, body, this.d.token);
      r = await (method !== "GET" && this.gate ? this.gate.shared(send) : send());
    } catch (e) {
      this.unclear.push(`${op}: ${(e as Error).message} (${(e as { cause?: Error }).cause?.message ?? "no cause"})`);
      this.samples.push({ op, ms: performance.now() - t0, status: 0 });
      return undefined;
    }
    this.samples.push({ op, ms: r.ms, status: r.status });
    if (r.status >= 400) {
      const b = r.body as { error?: unknown; message?: unknown } | undefined;
      const clear = r.status < 500 && typeof b?.error === "string" && typeof b.message === "string" && b.message.length > 0 && !b.message.includes("\n");
      if (!clear) this.unclear.push(`${op}: ${r.status} ${r.text.slice(0, 200)}`);
    }
    if (!expect.includes(r.status)) this.wrong.push(`${op}: expected ${expect.join("|")}, got ${r.status} ${r.text.slice(0, 200)}`);
    return r;
  }
}

const config = (name: string, mib: number) =>
  `name = "${name}"\nmemory = 256\nvnvdimms = [ 'size=${mib}M, namespace=raw:a, labels=v1.2' ]\n`;

/** One round: the life of a domain, with a refused call in the middle. Leaves it running (with two vNVDIMMs) when `keep`. */
async function round(c: Client, n: number, keep: boolean): Promise<void> {
  const name = c.name;
  const base = `/api/domains/${name}`;
  const create = await c.call("create", "POST", "/api/domains", { config: config(name, 16 + (n % 3) * 16), force: true }, [201, 409]);
  if (create?.status !== 201) return;
  const attach = await c.call("attach", "POST", `${base}/vnvdimms`, { spec: `size=${16 + (n % 2) * 16}M, namespace=fsdax:f`, force: true }, [201, 409]);
  const attached = attach?.status === 201;
  // Deleting a running domain is refused, always with the same clear error.
  const del = await c.call("delete-running", "DELETE", base, undefined, [409]);
  if (del && (del.body as { reason?: string }).reason !== "domain.running") c.wrong.push(`delete-running: ${del.text}`);
  const ns = await c.call("namespaces", "GET", `${base}/namespaces`, undefined, [200]);
  if (ns?.status === 200 && (ns.body as { namespaces: unknown[] }).namespaces.length !== (attached ? 2 : 1)) c.wrong.push(`namespaces: ${ns.text.slice(0, 200)}`);
  if (keep) return;
  if (attached) await c.call("detach", "DELETE", `${base}/vnvdimms/vnvdimm1`, undefined, [200]);
  await c.call("destroy", "POST", `${base}/destroy`, undefined, [200]);
  if (n % 4 === 0) {
    // Start it again on the same pages, then stop it.
    await c.call("restart", "POST", "/api/domains", { config: config(name, 16 + (n % 3) * 16) }, [200]);
    await c.call("destroy", "POST", `${base}/destroy`, undefined, [200]);
  }
  await c.call("delete", "DELETE", base, undefined, [200]);
}

/** A reader: each answer on its own must be whole. */
async function read(c: Client): Promise<void> {
  const list = await c.call("read-list", "GET", "/api/domains", undefined, [200]);
  if (list?.status === 200) c.wrong.push(...domainsProblems(list.body, { settled: true }).map((p) => `list: ${p}`));
  const regions = await c.call("read-regions", "GET", "/api/pmem/regions?types=data", undefined, [200]);
  if (regions?.status === 200) c.wrong.push(...regionsProblems(regions.body).map((p) => `regions: ${p}`));
  const map = await c.call("read-map", "GET", "/api/pmem/map", undefined, [200]);
  if (map?.status === 200) c.wrong.push(...mapProblems(map.body, { settled: true }).map((p) => `map: ${p}`));
}

/** With no mutation in flight: a list, the regions, the map and the list again, which must agree. Returns whether it got all four. */
async function snapshot(c: Client, gate: Gate): Promise<boolean> {
  return gate.exclusive(async () => {
    const a = await c.call("snap-list", "GET", "/api/domains", undefined, [200]);
    const r = await c.call("snap-regions", "GET", "/api/pmem/regions?types=data", undefined, [200]);
    const m = await c.call("snap-map", "GET", "/api/pmem/map", undefined, [200]);
    const b = await c.call("snap-list", "GET", "/api/domains", undefined, [200]);
    if (a?.status !== 200 || r?.status !== 200 || m?.status !== 200 || b?.status !== 200) return false;
    if (a.text !== b.text) c.wrong.push(`snapshot: the list changed with no mutation in flight: ${a.text.slice(0, 200)} / ${b.text.slice(0, 200)}`);
    c.wrong.push(...crossProblems(a.body as DomainsAnswer, (r.body as { regions: RegionRow[] }).regions, m.body as MapAnswer).map((p) => `snapshot: ${p}`));
    return true;
  });
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] ?? 0;
}

/** Owned pages per domid, from the frame table itself. */
function ownedByDomain(hv: Hypervisor): Map<number, { mfn: number; nr: number }[]> {
  const out = new Map<number, { mfn: number; nr: number }[]>();
  for (const run of hv.frameRuns()) {
    if (run.region !== "data" || !isOwned(run.state)) continue;
    const list = out.get(run.owner) ?? [];
    list.push({ mfn: run.mfn, nr: run.nr });
    out.set(run.owner, list);
  }
  return out;
}

test(`load: ${CLIENTS} API clients create, attach, detach and destroy domains for ${SECONDS} s while ${READERS} readers check every answer; then nothing is owned twice and the living host matches an independent boot, extent for extent`, { timeout: (SECONDS + 180) * 1000 }, async (t) => {
  const dir = tempDir("load");
  const state = join(dir, "state");
  await initReservedHost(state, smallSpecFile(dir));
  const d = await startDaemon(state);
  const gate = new Gate();
  const clients = Array.from({ length: CLIENTS }, (_, i) => new Client(d, `c${i}`, gate));
  const readers = Array.from({ length: READERS }, (_, i) => new Client(d, `reader${i}`));
  const snapper = new Client(d, "snapshot");
  let snapshots = 0;
  const t0 = performance.now();
  const deadline = Date.now() + SECONDS * 1000;
  let stop = false;
  try {
    await Promise.all([
      ...clients.map(async (c) => {
        for (let n = 0; n < MAX_ROUNDS_PER_CLIENT && Date.now() < deadline; n++) await round(c, n, false);
        await round(c, 0, true);
      }),
      // A dashboard's worth of reads alongside, each answer checked on its own.
      ...readers.map(async (c) => {
        while (!stop && Date.now() < deadline) await read(c);
      }),
      (async () => {
        while (!stop && Date.now() < deadline) {
          await new Promise((r) => setTimeout(r, SNAPSHOT_EVERY_MS));
          if (await snapshot(snapper, gate)) snapshots++;
        }
      })(),
    ]);
    stop = true;
    const elapsed = (performance.now() - t0) / 1000;
    const all = [...clients, ...readers, snapper];
    const samples = all.flatMap((c) => c.samples);
    const ms = samples.map((s) => s.ms).sort((a, b) => a - b);
    const byOp = new Map<string, number[]>();
    for (const s of samples) byOp.set(s.op, [...(byOp.get(s.op) ?? []), s.ms]);
    const refused = samples.filter((s) => s.status >= 400 && s.status < 500).length;
    const lines = [
      `requests: ${samples.length} in ${elapsed.toFixed(1)} s = ${(samples.length / elapsed).toFixed(1)} req/s (${refused} refused with a 4xx, as expected)`,
      `latency: p50 ${percentile(ms, 50).toFixed(1)} ms, p99 ${percentile(ms, 99).toFixed(1)} ms, max ${ms[ms.length - 1]!.toFixed(1)} ms`,
      `reads checked: ${readers.reduce((n, c) => n + c.samples.length, 0)} by ${READERS} readers; ${snapshots} quiescent snapshots compared`,
      ...[...byOp].sort().map(([op, v]) => {
        const s = v.sort((a, b) => a - b);
        return `  ${op.padEnd(15)} n=${String(s.length).padStart(5)}  p50 ${percentile(s, 50).toFixed(1).padStart(6)} ms  p99 ${percentile(s, 99).toFixed(1).padStart(6)} ms`;
      }),
    ];
    for (const l of lines) t.diagnostic(l);
    console.log(lines.map((l) => `# load: ${l}`).join("\n"));

    const unclear = all.flatMap((c) => c.unclear), wrong = clients.flatMap((c) => c.wrong);
    const torn = readers.flatMap((c) => c.wrong);
    assert.deepEqual(unclear.slice(0, 5), [], `every failed request says why, with a 4xx (${unclear.length} did not)`);
    assert.deepEqual(torn.slice(0, 5), [], `every read answer is whole, never half a mutation (${torn.length} were not)`);
    assert.deepEqual(snapper.wrong.slice(0, 5), [], `with no mutation in flight, the list, the regions and the map agree (${snapper.wrong.length} times they did not)`);
    assert.deepEqual(wrong.slice(0, 5), [], `every answer is the one the client's own model expects (${wrong.length} were not)`);
    assert.ok(clients.every((c) => c.samples.some((s) => s.op === "create" && s.status === 201)), "every client got work done");
    assert.ok(readers.every((c) => c.samples.filter((s) => s.status === 200).length >= 3), "every reader read each kind of answer");
    assert.ok(snapshots >= 1, "at least one quiescent snapshot was compared");

    // What the daemon says now.
    const listed = await api(d, "GET", "/api/domains");
    assert.equal(listed.status, 200);
    const doms = (listed.body as { domains: Dom[] }).domains;
    assert.deepEqual(doms.map((x) => x.name).sort(), clients.map((c) => c.name).sort());
    assert.ok(doms.every((x) => x.status === "running"));

    // No extent owned twice, in the ledger.
    const extents = doms.flatMap((x) => x.vnvdimms.map((v) => ({ ...v, domain: x.name }))).sort((a, b) => a.smfn - b.smfn);
    for (let i = 1; i < extents.length; i++) {
      const a = extents[i - 1]!, b = extents[i]!;
      assert.ok(a.smfn + a.nrPages <= b.smfn, `${a.domain}/${a.id} and ${b.domain}/${b.id} overlap`);
    }

    // Whole, and in agreement with the living hypervisor's regions (nothing runs now).
    assert.deepEqual(domainsProblems(listed.body, { settled: true }), []);
    const liveRegions = (await api(d, "GET", "/api/pmem/regions?types=data")).body as { regions: RegionRow[] };
    assert.deepEqual(regionsProblems(liveRegions), []);

    // The picture agrees: each extent is one segment, segments tile each DIMM.
    const map = (await api(d, "GET", "/api/pmem/map")).body as { dimms: { smfn: number; nrPages: number; segments: { kind: string; smfn: number | null; nrPages: number; domain?: string; vnvdimm?: string }[] }[] };
    const mapped = map.dimms.flatMap((m) => m.segments.filter((s) => s.kind === "extent").map((s) => `${s.domain}/${s.vnvdimm}@${s.smfn}+${s.nrPages}`)).sort();
    assert.deepEqual(mapped, extents.map((e) => `${e.domain}/${e.id}@${e.smfn}+${e.nrPages}`).sort());
    for (const m of map.dimms) {
      let at = m.smfn;
      for (const s of m.segments.filter((x) => x.smfn !== null)) { assert.equal(s.smfn, at); at += s.nrPages; }
      assert.equal(at, m.smfn + m.nrPages);
    }
    assert.deepEqual(mapProblems(map, { settled: true }), []);
    assert.deepEqual(crossProblems(listed.body as DomainsAnswer, liveRegions.regions, map as MapAnswer), []);
    const ownedPages = liveRegions.regions.reduce((n, r) => n + r.ownedPages, 0);
    assert.equal(ownedPages, doms.reduce((n, x) => n + x.vnvdimms.reduce((m, v) => m + v.nrPages, 0), 0), "the living host owns exactly the running domains' extents");

    // Extent for extent, through the living host: a mark written by each running guest into each of its namespaces.
    const marks: { domain: string; namespace: string; text: string }[] = [];
    for (const x of doms) {
      const ns = await api(d, "GET", `/api/domains/${x.name}/namespaces`);
      assert.equal(ns.status, 200, ns.text);
      for (const n of (ns.body as { namespaces: { name: string }[] }).namespaces) {
        const text = `${x.name}/${n.name} at ${x.vnvdimms.map((v) => v.smfn).join(",")}`;
        const w = await api(d, "POST", `/api/domains/${x.name}/namespaces/${n.name}/data`, { offset: 0, base64: Buffer.from(text).toString("base64") }, d.token);
        assert.equal(w.status, 200, w.text);
        marks.push({ domain: x.name, namespace: n.name, text });
      }
    }
    assert.equal(marks.length, doms.reduce((n, x) => n + x.vnvdimms.length, 0), "each vNVDIMM is one namespace in its guest");

    // An independent boot: the hypervisor's frame table owns exactly the ledger's extents, each by its domain.
    const ts = openToolstack(state);
    try {
      assert.deepEqual(checkInvariants(ts.booted.hv), []);
      assert.deepEqual(ts.failed, []);
      const owned = ownedByDomain(ts.booted.hv);
      for (const x of doms) {
        const run = ts.running.get(x.name);
        assert.ok(run, `${x.name} runs after a reboot`);
        const pages = (owned.get(run.domid) ?? []).reduce((n, r) => n + r.nr, 0);
        assert.equal(pages, x.vnvdimms.reduce((n, v) => n + v.nrPages, 0), `${x.name}: the hypervisor owns exactly its extents' pages`);
        for (const v of x.vnvdimms) {
          for (const mfn of [v.smfn, v.smfn + v.nrPages - 1]) assert.equal(ts.booted.hv.frame(mfn)?.owner, run.domid, `${x.name}/${v.id}: MFN ${mfn}`);
        }
      }
      assert.equal(owned.size, doms.length, "no pages owned by a domain the ledger does not know");
      // The living hypervisor's regions are the independent boot's, page for page.
      const booted = ts.booted.hv.pmemGetRegions(CONTROL_DOMID, "data");
      assert.ok(booted.ok);
      const counts = (r: { smfn: number; emfn: number; freePages?: number; ownedPages?: number; brokenPages?: number }) => [r.smfn, r.emfn, r.freePages, r.ownedPages, r.brokenPages];
      const bootedRows = booted.value.map((r) => (r.type === "data" ? r : assert.fail(`a ${r.type} region`)));
      assert.deepEqual(liveRegions.regions.map(counts), bootedRows.map(counts));
      assert.deepEqual(heldPagesByRegion(listed.body as DomainsAnswer, liveRegions.regions), bootedRows.map((r) => r.ownedPages));
    } finally {
      ts.close();
    }
    // What each living guest wrote, each independently booted guest reads at the same place.
    for (const m of marks) {
      const g = openGuest(state, m.domain, { readOnly: true });
      try {
        const ns = g.domain.guest.namespace(m.namespace);
        assert.ok(ns, `${m.domain}/${m.namespace} after a reboot`);
        assert.equal(Buffer.from(g.domain.guest.io(ns).read(0n, m.text.length)).toString(), m.text);
      } finally {
        g.close();
      }
    }
    // And the daemon's answer is what the toolstack says in this process.
    assert.equal(toJson(listed.body), toJson(listDomains(state)));
  } finally {
    stop = true;
    const end = await d.stop();
    assert.equal(end.code, 0, end.stderr);
    assert.ok(!existsSync(join(state, "daemon.json")), "a clean stop removes daemon.json");
  }
});
