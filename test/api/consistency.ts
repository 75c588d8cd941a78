// What the daemon's read answers must say about each other, for the load and
// crash tests. Each check takes one answer (or answers read while nothing
// could change in between) and returns what is wrong with it, in words.
import { routeById } from "../../src/api/index.js";

export interface ListedVnv { id: string; slot: number; smfn: number; nrPages: number; state: string; gpa: number | string | null }
export interface ListedDomain { name: string; domid: number | null; status: "running" | "stopped" | "interrupted"; vnvdimms: ListedVnv[]; error?: string; reclaim?: string }
export interface Released { from: string; id: string; smfn: number; nrPages: number; keep: boolean }
export interface DomainsAnswer { domains: ListedDomain[]; orphans: { domain: string; extents: ListedVnv[] }[]; released: Released[] }
export interface RegionRow { type: string; smfn: number; emfn: number; freePages: number; ownedPages: number; brokenPages: number }
export interface MapSegment { kind: string; smfn: number | null; nrPages: number; domain?: string; vnvdimm?: string; status?: string }
export interface MapAnswer { dimms: { index: number; smfn: number; nrPages: number; segments: MapSegment[] }[] }

const schemaProblem = (id: "listDomains" | "listPmemRegions" | "getPmemMap", body: unknown): string[] => {
  const r = routeById(id).output!.safeParse(body);
  return r.success ? [] : [`${id}: the answer does not match its schema: ${r.error.issues[0]?.path.join(".")}: ${r.error.issues[0]?.message}`];
};

/** Where `[smfn, smfn + nrPages)` ranges meet, by their names. */
function overlaps(ranges: { what: string; smfn: number; nrPages: number }[]): string[] {
  const s = [...ranges].sort((a, b) => a.smfn - b.smfn);
  const out: string[] = [];
  for (let i = 1; i < s.length; i++) {
    const a = s[i - 1]!, b = s[i]!;
    if (a.smfn + a.nrPages > b.smfn) out.push(`${a.what}@${a.smfn}+${a.nrPages} overlaps ${b.what}@${b.smfn}+${b.nrPages}`);
  }
  return out;
}

/**
 * One `GET /api/domains` answer. Always: no extent (a domain's, or one
 * awaiting its scrub) overlaps another; a running domain has a domid no other
 * has and maps each held extent at a guest address; an interrupted one has
 * nothing held. `settled` (no crash happened): every extent is held, nothing
 * awaits a scrub, every running domain started.
 */
export function domainsProblems(body: unknown, o: { settled: boolean }): string[] {
  const p = schemaProblem("listDomains", body);
  if (p.length) return p;
  const a = body as DomainsAnswer;
  p.push(...overlaps([
    ...a.domains.flatMap((d) => d.vnvdimms.map((v) => ({ what: `${d.name}/${v.id}`, smfn: v.smfn, nrPages: v.nrPages }))),
    ...a.released.map((r) => ({ what: `released ${r.from}/${r.id}`, smfn: r.smfn, nrPages: r.nrPages })),
  ]));
  const domids = a.domains.filter((d) => d.domid !== null).map((d) => d.domid);
  if (new Set(domids).size !== domids.length) p.push(`a domid is given twice: ${domids.join(",")}`);
  for (const d of a.domains) {
    const allocating = d.vnvdimms.filter((v) => v.state !== "held");
    if (new Set(d.vnvdimms.map((v) => v.id)).size !== d.vnvdimms.length) p.push(`${d.name}: a vNVDIMM id twice`);
    if ((d.status === "interrupted") !== (d.vnvdimms.length > 0 && allocating.length === d.vnvdimms.length)) p.push(`${d.name}: ${d.status} with extents ${d.vnvdimms.map((v) => v.state).join(",")}`);
    if (d.status === "running" && d.domid === null && d.error === undefined) p.push(`${d.name}: running without a domid or an error`);
    if (d.status !== "running" && d.domid !== null) p.push(`${d.name}: ${d.status} with domid ${d.domid}`);
    for (const v of d.vnvdimms) {
      const mapped = d.status === "running" && d.domid !== null && v.state === "held";
      if (mapped !== (v.gpa !== null)) p.push(`${d.name}/${v.id} (${d.status}, ${v.state}) ${mapped ? "has no" : "has a"} guest address`);
    }
    if (!o.settled) continue;
    if (allocating.length) p.push(`${d.name}: ${allocating.map((v) => `${v.id} is ${v.state}`).join(", ")} (half an attach or a create)`);
    if (d.error !== undefined) p.push(`${d.name}: ${d.error}`);
  }
  if (o.settled && a.released.length) p.push(`released extents not scrubbed (half a delete or detach): ${a.released.map((r) => `${r.from}/${r.id}`).join(", ")}`);
  if (o.settled && a.orphans.length) p.push(`orphans: ${a.orphans.map((x) => x.domain).join(", ")}`);
  return p;
}

/** One `GET /api/pmem/regions?types=data` answer: each region's pages are free, owned or broken, and nothing else. */
export function regionsProblems(body: unknown): string[] {
  const p = schemaProblem("listPmemRegions", body);
  if (p.length) return p;
  for (const r of (body as { regions: RegionRow[] }).regions) {
    if (r.type !== "data") p.push(`a ${r.type} region in an answer for data regions`);
    else if (r.freePages + r.ownedPages + r.brokenPages !== r.emfn - r.smfn) p.push(`region ${r.smfn}-${r.emfn}: ${r.freePages} free + ${r.ownedPages} owned + ${r.brokenPages} broken`);
  }
  return p;
}

/** One `GET /api/pmem/map` answer: each DIMM's segments tile it, and each extent appears once. */
export function mapProblems(body: unknown, o: { settled: boolean }): string[] {
  const p = schemaProblem("getPmemMap", body);
  if (p.length) return p;
  const seen = new Set<string>();
  for (const m of (body as MapAnswer).dimms) {
    let at = m.smfn;
    for (const s of m.segments.filter((x) => x.smfn !== null)) {
      if (s.smfn !== at) p.push(`DIMM ${m.index}: a ${s.kind} segment at ${s.smfn}, expected ${at}`);
      at = s.smfn! + s.nrPages;
      if (s.kind !== "extent") continue;
      const id = `${s.domain}/${s.vnvdimm}`;
      if (seen.has(id)) p.push(`${id} is drawn twice`);
      seen.add(id);
      if (o.settled && s.status !== "running" && s.status !== "stopped") p.push(`${id} is ${s.status}`);
    }
    if (at !== m.smfn + m.nrPages) p.push(`DIMM ${m.index}: the segments end at ${at}, not ${m.smfn + m.nrPages}`);
  }
  return p;
}

const inRegion = (r: Pick<RegionRow, "smfn" | "emfn">, smfn: number) => smfn >= r.smfn && smfn < r.emfn;

/** Pages of running domains' held extents, per data region (in the regions' order). */
export function heldPagesByRegion(domains: DomainsAnswer, regions: RegionRow[]): number[] {
  const held = domains.domains.filter((d) => d.status === "running" && d.domid !== null).flatMap((d) => d.vnvdimms.filter((v) => v.state === "held"));
  return regions.map((r) => held.filter((v) => inRegion(r, v.smfn)).reduce((n, v) => n + v.nrPages, 0));
}

/**
 * Answers read while nothing could change: the hypervisor owns exactly the
 * pages of running domains' held extents, region by region; the map draws
 * the list's extents; what the map shows as free, stopped or unfinished is
 * what the hypervisor counts as free.
 */
export function crossProblems(domains: DomainsAnswer, regions: RegionRow[], map: MapAnswer): string[] {
  const p: string[] = [];
  const expected = heldPagesByRegion(domains, regions);
  regions.forEach((r, i) => {
    if (r.ownedPages !== expected[i]) p.push(`region ${r.smfn}-${r.emfn}: the hypervisor owns ${r.ownedPages} pages, the running domains' held extents are ${expected[i]}`);
  });
  const segs = map.dimms.flatMap((m) => m.segments);
  const drawn = segs.filter((s) => s.kind === "extent").map((s) => `${s.domain}/${s.vnvdimm}@${s.smfn}+${s.nrPages}:${s.status}`).sort();
  const listed = [
    ...domains.domains.flatMap((d) => d.vnvdimms.map((v) => `${d.name}/${v.id}@${v.smfn}+${v.nrPages}:${v.state === "held" ? d.status : "allocating"}`)),
    // Released extents are not free: the map draws them too, as their deleted domain's.
    ...domains.released.map((r) => `${r.from} (deleted)/${r.id}@${r.smfn}+${r.nrPages}:${r.keep ? "kept" : "awaiting scrub"}`),
  ].sort();
  if (drawn.join() !== listed.join()) p.push(`the map draws ${drawn.join(" ")}; the list has ${listed.join(" ")}`);
  for (const r of regions) {
    const mine = segs.filter((s) => s.smfn !== null && inRegion(r, s.smfn));
    const owned = mine.filter((s) => s.kind === "extent" && s.status === "running").reduce((n, s) => n + s.nrPages, 0);
    const free = mine.filter((s) => s.kind === "data-free" || (s.kind === "extent" && s.status !== "running")).reduce((n, s) => n + s.nrPages, 0);
    if (owned !== r.ownedPages || free !== r.freePages + r.brokenPages) p.push(`region ${r.smfn}-${r.emfn}: the map has ${owned} running and ${free} other pages, the hypervisor ${r.ownedPages} owned and ${r.freePages} free`);
  }
  return p;
}
