// Random hypercall sequences; after every step the invariants hold, refused
// calls change nothing, and destroy frees everything the domain owned.
import { test } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import { checkInvariants, isBroken, isOwned, type HypercallResult, type Hypervisor, type P2mKind } from "../../src/hypervisor/index.js";
import { DIMM0_MFN, DIMM1_MFN, boot, must, testMachine } from "./machine.js";

const M0 = DIMM0_MFN;
const M1 = DIMM1_MFN;
/** Data pages: [M0 + 8, M0 + 608) and [M1 + 4, M1 + 304); management below each. */
const SPAN0 = 620;
const SPAN1 = 310;

const caller = fc.oneof({ weight: 3, arbitrary: fc.constant(0) }, { weight: 1, arbitrary: fc.nat(12) });
const target = fc.nat(12);
const mfn = fc.oneof(
  { weight: 5, arbitrary: fc.integer({ min: M0 + 8, max: M0 + 607 }) },
  { weight: 3, arbitrary: fc.integer({ min: M1 + 4, max: M1 + 303 }) },
  { weight: 1, arbitrary: fc.integer({ min: M0 - 2, max: M0 + SPAN0 }) },
  { weight: 1, arbitrary: fc.integer({ min: M1 - 2, max: M1 + SPAN1 }) },
);
const gfn = fc.oneof(
  { weight: 8, arbitrary: fc.nat(300) },
  { weight: 1, arbitrary: fc.nat(1200) },
  { weight: 1, arbitrary: fc.constant(2 ** 32 - 3) },
);
const nr = fc.oneof(
  { weight: 6, arbitrary: fc.integer({ min: 1, max: 16 }) },
  { weight: 3, arbitrary: fc.integer({ min: 1, max: 120 }) },
  { weight: 1, arbitrary: fc.integer({ min: 0, max: 300 }) },
);

const command = fc.oneof(
  { weight: 2, arbitrary: fc.record({ op: fc.constant("create" as const), privileged: fc.boolean().map((b) => b && Math.random() < 0.2) }) },
  { weight: 2, arbitrary: fc.record({ op: fc.constant("destroy" as const), caller, target }) },
  { weight: 6, arbitrary: fc.record({ op: fc.constant("populate" as const), caller, target, mfn, gfn, nr, label: fc.boolean().map((b) => b && Math.random() < 0.3) }) },
  { weight: 2, arbitrary: fc.record({ op: fc.constant("unmap" as const), caller, target, gfn, nr }) },
  // Unmap part of an extent the target has mapped: extent index, then offset and length within it.
  { weight: 3, arbitrary: fc.record({ op: fc.constant("unmap-mapped" as const), caller, target, index: fc.nat(20), from: fc.nat(100), len: fc.integer({ min: 1, max: 100 }) }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant("mce" as const), caller, mfn }) },
  { weight: 2, arbitrary: fc.record({ op: fc.constant("translate" as const), target, gfn: fc.nat(400), mapped: fc.boolean() }) },
);
type Command = typeof command extends fc.Arbitrary<infer C> ? C : never;

/** A domid from a small number: mostly existing domains, sometimes one that is not. */
function pick(hv: Hypervisor, n: number): number {
  const ids = hv.domainIds();
  return n < ids.length ? ids[n]! : n === 11 ? 4000 : ids[n % ids.length]!;
}

/** How often each (command, outcome) happened, to check the generators' coverage. */
const STATS: Record<string, number> = {};

function snapshot(hv: Hypervisor): string {
  const frames = [...hv.frameRuns()].map((r) => [r.mfn, r.nr, r.state, r.owner, r.gfn]);
  const domains = hv.domainIds().map((id) => {
    const d = hv.domain(id)!;
    return [id, [...d.p2mExtents()], d.labelExtents(), d.dataPages, d.labelPages, d.events.length];
  });
  return JSON.stringify({ frames, domains });
}

function ownedBy(hv: Hypervisor, domid: number): { live: number; broken: number } {
  const out = { live: 0, broken: 0 };
  for (const r of hv.frameRuns()) {
    if (!isOwned(r.state) || r.owner !== domid) continue;
    if (isBroken(r.state)) out.broken += r.nr;
    else out.live += r.nr;
  }
  return out;
}

function freePages(hv: Hypervisor): number {
  let n = 0;
  for (const r of hv.frameRuns()) if (r.region === "data" && r.state === 0) n += r.nr;
  return n;
}

function run(hv: Hypervisor, c: Command): HypercallResult<unknown> {
  switch (c.op) {
    case "create": return hv.domainCreate(0, { privileged: c.privileged });
    case "destroy": return hv.domainDestroy(pick(hv, c.caller), pick(hv, c.target));
    case "populate": return hv.populatePmemMap(pick(hv, c.caller), pick(hv, c.target), c.mfn, c.gfn, c.nr, c.label ? "label" : "data");
    case "unmap": return hv.unmap(pick(hv, c.caller), pick(hv, c.target), c.gfn, c.nr);
    case "unmap-mapped": {
      const extents = [...(hv.domain(pick(hv, c.target))?.p2mExtents() ?? [])];
      const e = extents[c.index % Math.max(1, extents.length)];
      if (!e) return hv.unmap(pick(hv, c.caller), pick(hv, c.target), 0, 1);
      const from = c.from % e.nr;
      return hv.unmap(pick(hv, c.caller), pick(hv, c.target), e.gfn + from, Math.min(c.len, e.nr - from));
    }
    case "mce": return hv.mceInject(pick(hv, c.caller), c.mfn);
    case "translate": return hv.translate(pick(hv, c.target), translateGfn(hv, c));
  }
}

/** The gfn a translate command probes: any, or (when `mapped`) one inside an extent of the target. */
function translateGfn(hv: Hypervisor, c: Extract<Command, { op: "translate" }>): number {
  const extents = c.mapped ? [...(hv.domain(pick(hv, c.target))?.p2mExtents() ?? [])] : [];
  const e = extents[c.gfn % Math.max(1, extents.length)];
  return e ? e.gfn + (c.gfn % e.nr) : c.gfn;
}

function setup(hv: Hypervisor): void {
  must(hv.pmemSetup(0, { type: "mgmt", smfn: M0, emfn: M0 + 8 }));
  must(hv.pmemSetup(0, { type: "data", smfn: M0 + 8, emfn: M0 + 608, mgmtSmfn: M0, mgmtEmfn: M0 + 8 }));
  must(hv.pmemSetup(0, { type: "mgmt", smfn: M1, emfn: M1 + 4 }));
  must(hv.pmemSetup(0, { type: "data", smfn: M1 + 4, emfn: M1 + 304, mgmtSmfn: M1, mgmtEmfn: M1 + 4 }));
}

for (const pmemMgmt of ["ram", "pmem"] as const) {
  for (const p2m of ["linear", "tree"] as P2mKind[]) {
    test(`property (${pmemMgmt}, ${p2m} P2M): random hypercalls keep every invariant`, () => {
      fc.assert(fc.property(fc.array(command, { minLength: 1, maxLength: 80, size: "max" }), (commands) => {
        const hv = boot(testMachine(), { pmemMgmt, p2m, frameChunkPages: 16 });
        setup(hv);
        for (const c of commands) {
          const before = snapshot(hv);
          const target = "target" in c ? pick(hv, c.target) : undefined;
          const owned = target === undefined ? undefined : ownedBy(hv, target);
          const free = freePages(hv);
          const caller = "caller" in c ? pick(hv, c.caller) : 0;
          const eventsBefore = new Map(hv.domainIds().map((id) => [id, hv.domain(id)!.events.length]));
          const r = run(hv, c);

          const problems = checkInvariants(hv);
          assert.deepEqual(problems, [], `after ${JSON.stringify(c)}`);
          if (!r.ok) assert.equal(snapshot(hv), before, `refused ${JSON.stringify(c)} (${r.errno}) changed state`);
          STATS[`${c.op} ${r.ok ? "ok" : r.errno}`] = (STATS[`${c.op} ${r.ok ? "ok" : r.errno}`] ?? 0) + 1;
          // Privilege: an unprivileged caller is always EPERM, whatever domain it names (itself included).
          const privileged = hv.domain(caller)?.privileged ?? false;
          if (c.op !== "create" && c.op !== "translate" && !privileged) {
            assert.equal(r.ok ? "ok" : r.errno, "EPERM", JSON.stringify(c));
          }
          if (c.op === "destroy" && r.ok) {
            // Everything it owned is free again, except broken pages, which stay broken and unowned.
            assert.deepEqual(ownedBy(hv, target!), { live: 0, broken: 0 });
            assert.equal(freePages(hv), free + owned!.live);
            assert.equal(hv.domain(target!), undefined);
          }
          if (c.op === "translate" && r.ok) {
            const f = hv.frame(r.value as number)!;
            assert.deepEqual([f.owner, f.gfn, f.state, f.region], [target, translateGfn(hv, c), 1, "data"]);
          }
          if (c.op === "mce" && r.ok) {
            const { owner } = r.value as { owner: number | undefined };
            if (owner !== undefined) assert.equal(hv.domain(owner)!.events.length, eventsBefore.get(owner)! + 1);
          }
        }
        // No mfn is reachable from two places.
        const seen = new Set<number>();
        for (const id of hv.domainIds()) {
          const d = hv.domain(id)!;
          for (const e of d.p2mExtents()) for (let k = 0; k < e.nr; k++) assert.ok(!seen.has(e.mfn + k) && seen.add(e.mfn + k));
          for (const l of d.labelExtents()) for (let k = 0; k < l.nr; k++) assert.ok(!seen.has(l.mfn + k) && seen.add(l.mfn + k));
        }
      }), { numRuns: 40 });
      // The generators reach the interesting paths, not just the refusals.
      for (const path of ["populate ok", "unmap-mapped ok", "destroy ok", "translate ok", "mce ok", "populate EBUSY", "populate EEXIST", "populate EPERM"]) {
        assert.ok((STATS[path] ?? 0) > 0, `no "${path}" in ${JSON.stringify(STATS)}`);
      }
    });
  }
}
