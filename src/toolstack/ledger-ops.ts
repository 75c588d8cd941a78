// A journal record's operations: what one mutation changed in the ledger,
// found by comparing the ledger as it is with the one a verb wants written.
// A record carries only the domains that changed, so its size does not grow
// with the number of domains; applying it to the ledger it was made from
// gives exactly the ledger the verb wrote.
import { isDeepStrictEqual } from "node:util";
import { z } from "zod";
import { RecordedDomainSchema, ReleasedExtentSchema, freeDomid, type Ledger, type LedgerDomain, type ReleasedExtent } from "./ledger-schema.js";

export const LedgerOpSchema = z.discriminatedUnion("op", [
  /** Adds a domain (at the end) or replaces the one with its name (in place). */
  z.object({ op: z.literal("domain.put"), domain: RecordedDomainSchema }),
  z.object({ op: z.literal("domain.delete"), name: z.string() }),
  /** The released list as a whole: it is short (extents awaiting a scrub, or kept). */
  z.object({ op: z.literal("released.set"), released: z.array(ReleasedExtentSchema) }),
  /** Everything, for a change the others cannot say (domains reordered); no verb does that today. */
  z.object({ op: z.literal("ledger.replace"), domains: z.array(RecordedDomainSchema), released: z.array(ReleasedExtentSchema) }),
]);
export type LedgerOp = z.output<typeof LedgerOpSchema>;

/** What a reader gets back after JSON, checked: a verb's object may carry `undefined` fields or a wrong type, and the journal must only ever hold what a reader accepts. */
function recorded(d: LedgerDomain, all: readonly LedgerDomain[]): LedgerDomain {
  // A domain made without a domid (a hand-built ledger) gets the lowest free one, as an old ledger's do on read.
  return RecordedDomainSchema.parse(JSON.parse(JSON.stringify({ ...d, domid: d.domid ?? freeDomid(all) })));
}
function recordedReleased(r: readonly ReleasedExtent[]): ReleasedExtent[] {
  return z.array(ReleasedExtentSchema).parse(JSON.parse(JSON.stringify(r)));
}

/** A ledger domain's JSON, computed once per object: the ledger a process holds shares unchanged domain objects from one mutation to the next. */
const texts = new WeakMap<LedgerDomain, string>();
export function domainText(d: LedgerDomain): string {
  let t = texts.get(d);
  if (t === undefined) texts.set(d, (t = JSON.stringify(d)));
  return t;
}

/**
 * The operations that turn `cur` into `next`; none when they are equal.
 * `next`'s domains are usually copies of `cur`'s (from readLedger, which
 * makes them from the same JSON): comparing their JSON is the cheap test.
 */
export function diffLedger(cur: Ledger, next: Ledger): LedgerOp[] {
  const names = next.domains.map((d) => d.name);
  if (new Set(names).size !== names.length) throw new Error("assertion: a ledger names each domain once");
  const ops: LedgerOp[] = [];
  const keep = new Set(names);
  for (const d of cur.domains) if (!keep.has(d.name)) ops.push({ op: "domain.delete", name: d.name });
  const before = new Map(cur.domains.map((d) => [d.name, d]));
  for (const d of next.domains) {
    const c = before.get(d.name);
    if (c && (JSON.stringify(d) === domainText(c) || isDeepStrictEqual(c, d))) continue;
    const r = recorded(d, next.domains);
    if (!c || !isDeepStrictEqual(c, r)) ops.push({ op: "domain.put", domain: r });
  }
  if (!isDeepStrictEqual(cur.released, next.released)) {
    const r = recordedReleased(next.released);
    if (!isDeepStrictEqual(cur.released, r)) ops.push({ op: "released.set", released: r });
  }
  const order = applyOps(cur, ops).domains.map((d) => d.name);
  if (!isDeepStrictEqual(order, names)) return [{ op: "ledger.replace", domains: next.domains.map((d) => recorded(d, next.domains)), released: recordedReleased(next.released) }];
  return ops;
}

/** The ledger after `ops`, sharing the objects they did not touch; `cur` is not changed. */
export function applyOps(cur: Ledger, ops: readonly LedgerOp[]): Ledger {
  let domains = cur.domains;
  let released = cur.released;
  for (const o of ops) {
    switch (o.op) {
      case "domain.put": {
        const i = domains.findIndex((d) => d.name === o.domain.name);
        domains = i < 0 ? [...domains, o.domain] : domains.map((d, j) => (j === i ? o.domain : d));
        break;
      }
      case "domain.delete": domains = domains.filter((d) => d.name !== o.name); break;
      case "released.set": released = o.released; break;
      case "ledger.replace": domains = o.domains; released = o.released; break;
    }
  }
  return { ...cur, domains, released };
}
