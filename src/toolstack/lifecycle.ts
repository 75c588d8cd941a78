// Domain lifecycle: create, destroy (stop), delete, list, attach, detach, and
// the reclaim of allocations a crash left behind. Every verb boots the host
// (a reboot is a process restart), brings running domains back from the
// ledger, and changes the ledger atomically under the toolstack lock.
import { randomUUID } from "node:crypto";
import { readFileSync } from "node:fs";
import { CONTROL_DOMID, PAGE_BYTES, type PmemMgmtPlacement } from "../hypervisor/index.js";
import { readBadBlocks } from "../host/index.js";
import { humanSize } from "../formats/index.js";
import { parseDomainConfig, parseVnvdimmSpec, type DomainConfig, type VnvdimmConfig } from "./config/index.js";
import { allocate, claimExact, freeRuns, type Busy } from "./allocator.js";
import { bootHost, type BootedHost } from "./host-boot.js";
import { crashPoint, freeDomid, readLedger, withLedgerLock, writeLedger, type Ledger, type LedgerDomain, type LedgerExtent, type ReleasedExtent } from "./ledger.js";
import { applyProvision, checkNoForeignLabels, closeProvisions, prepareProvision, type ImagePolicy, type PreparedProvision } from "./provision-extent.js";
import { startDomain, type RunningDomain } from "./domain-boot.js";
import { LifecycleError } from "./lifecycle-error.js";
import { checkGuestMemory, checkSameVnvdimms, describeSpec } from "./recreate.js";
import { startQemuDomain } from "./qemu-domain.js";
import { backendGone, qemuDomainPaths } from "../backends/index.js";
import { finishScrubs, released, scrubExtent, type ScrubProgress } from "./scrub.js";

const PAGE = BigInt(PAGE_BYTES);

export { LifecycleError };

export interface Toolstack {
  /** The state directory it was booted from. */
  state: string;
  booted: BootedHost;
  ledger: Ledger;
  running: Map<string, RunningDomain>;
  /** Domains the ledger says run but the hypervisor refused to start, with why. */
  failed: { name: string; message: string }[];
  close(): void;
}

/**
 * A create a crash cut short: it never committed, so every extent is still
 * "allocating" and the guest never had a page. It is not started; `reclaim`
 * zeroes its pages and removes it.
 */
export function isInterrupted(d: Pick<LedgerDomain, "extents">): boolean {
  return d.extents.length > 0 && d.extents.every((e) => e.state === "allocating");
}

/** What `reclaim` will do with the domain's unfinished extents, or undefined when it has none. */
export function reclaimPlan(d: Pick<LedgerDomain, "extents">): string | undefined {
  const gone = d.extents.filter((e) => e.state === "allocating");
  if (!gone.length) return undefined;
  const pages = gone.reduce((n, e) => n + e.nrPages, 0);
  const what = `${gone.map((e) => e.id).join(", ")} (${humanSize(pages * PAGE_BYTES)}, ${pages} pages)`;
  return isInterrupted(d) ? `zero and free ${what}, and remove the domain` : `zero and free the unfinished ${what}; the domain keeps the rest`;
}

/** Guest verbs on an interrupted create: there is no guest, and reclaim is the way out. */
export function refuseInterrupted(d: LedgerDomain): void {
  if (!isInterrupted(d)) return;
  throw new LifecycleError("domain.interrupted", `Domain ${d.name} has no guest: its create was interrupted (a crash); run \`vnvdimm reclaim\``,
    `reclaim will ${reclaimPlan(d)}; then create it again`);
}

/**
 * Boots the host and starts every domain the ledger lists as running, each
 * with its recorded domid; `readOnly` for a command that only reads (see
 * BootOptions).
 */
export function openToolstack(state: string, opts: { pmemMgmt?: PmemMgmtPlacement; readOnly?: boolean } = {}): Toolstack {
  const booted = bootHost(state, { ...(opts.pmemMgmt ? { pmemMgmt: opts.pmemMgmt } : {}), readOnly: opts.readOnly ?? false });
  const ledger = readLedger(state);
  const running = new Map<string, RunningDomain>();
  const failed: Toolstack["failed"] = [];
  for (const d of ledger.domains.filter((x) => x.status === "running" && !isInterrupted(x))) {
    try { running.set(d.name, startDomain(booted, d)); } catch (e) { failed.push({ name: d.name, message: (e as Error).message }); }
  }
  return { state, booted, ledger, running, failed, close: () => booted.close() };
}

/** Pages no allocation may take: every domain's extents, and released ones not yet scrubbed (or kept). */
function busyExtents(l: Ledger): Busy[] {
  return [...l.domains.flatMap((d) => d.extents), ...l.released].map((e) => ({ smfn: e.smfn, nrPages: e.nrPages }));
}

function dataRuns(b: BootedHost, l: Ledger, state: string) {
  const r = b.hv.pmemGetRegions(CONTROL_DOMID, "data");
  const regions = r.ok ? r.value.map((x) => ({ smfn: x.smfn, emfn: x.emfn, pxm: x.pxm })) : [];
  return freeRuns(regions, busyExtents(l), readBadBlocks(state));
}

/** The nodes the host has pmem on, from the firmware's (and dom0's) raw regions; a range without a proximity domain counts as node 0. */
function pmemNodes(b: BootedHost): number[] {
  const r = b.hv.pmemGetRegions(CONTROL_DOMID, "raw");
  return r.ok ? [...new Set(r.value.map((x) => x.pxm ?? 0))].sort((x, y) => x - y) : [];
}

/** `node=` is a preference, but it must name a node with pmem: a guest must never be told of a node its pages are not on. */
function checkNode(b: BootedHost, v: VnvdimmConfig, id: string): void {
  if (v.type !== "size" || v.node === undefined) return;
  const nodes = pmemNodes(b);
  if (nodes.includes(v.node)) return;
  const has = nodes.length ? `pmem on node${nodes.length > 1 ? "s" : ""} ${nodes.join(", ")} only` : "no pmem";
  throw new LifecycleError("alloc.node", `Cannot place vNVDIMM ${id}: node=${v.node}, but the host has ${has}`,
    nodes.length ? `use ${nodes.map((n) => `node=${n}`).join(" or ")}, or leave node= out` : "see `vnvdimm pmem list`");
}

function extentFor(b: BootedHost, l: Ledger, state: string, v: VnvdimmConfig, slot: number, id: string, txid: string, spec: string): LedgerExtent {
  checkNode(b, v, id);
  const runs = dataRuns(b, l, state);
  const nrPages = Number(v.nrPages);
  const a = v.type === "mfn" ? claimExact(runs, Number(v.backendMfn), nrPages) : allocate(runs, nrPages, v.node);
  if ("code" in a) throw new LifecycleError("alloc.failed", `Cannot place vNVDIMM ${id}: ${a.message}`, "reserve more pmem (`vnvdimm pmem reserve`), free some (`vnvdimm delete`), or ask for less");
  // The guest's proximity domain is where the pages are: node= only says where to look first.
  const node = a.node ?? 0;
  return { id, slot, smfn: a.smfn, nrPages, nrLabelPages: Number(v.nrLabelPages), node, unarmed: v.unarmed, spec, state: "allocating", provisioned: false, txid };
}

function save(state: string, l: Ledger): Ledger {
  writeLedger(state, l);
  return readLedger(state);
}

export interface CreateResult {
  name: string; domid: number; recreated: boolean; extents: LedgerExtent[]; backend: "builtin" | "qemu";
  /**
   * For the qemu backend: the QEMU process, where its guest's console goes, how many broken pages its guest gets as badblocks,
   * and how long its guest took to boot (set by awaitBoot; absent when nothing waited).
   */
  qemu?: { pid: number; accel: string; console: string; badPages: number; bootMs?: number };
}

/**
 * Maps the domain's extents in the hypervisor and, for the qemu backend,
 * starts QEMU on them. A QEMU that refuses to start leaves the domain
 * stopped, its extents still held (and provisioned) for the next create.
 */
function startBackend(state: string, b: BootedHost, l: Ledger, d: LedgerDomain): { run: RunningDomain; qemu?: CreateResult["qemu"] } {
  const run = startDomain(b, d);
  if (d.backend !== "qemu") return { run };
  try {
    const rec = startQemuDomain(state, b, d, run);
    return { run, qemu: { pid: rec.pid, accel: rec.accel, console: qemuDomainPaths(state, d.name).console, badPages: rec.badRanges.length } };
  } catch (e) {
    d.status = "stopped";
    save(state, l);
    throw e;
  }
}

/**
 * Creates a domain from a config, or starts a stopped one again on the same
 * pages with the config's memory, vcpus and on_mce (see recreate.ts: other
 * vNVDIMMs are refused). Memory the backend's guest cannot boot in is refused
 * before anything is allocated. Allocation is crash-safe: intent first
 * ("allocating"), then media writes, then commit ("held").
 */
export function createDomain(state: string, input: { configText: string; configFile?: string; backend?: "builtin" | "qemu"; force?: boolean; images?: ImagePolicy; host?: Toolstack }): CreateResult {
  const cfg: DomainConfig = parseDomainConfig(input.configText, input.configFile ?? "<config>");
  return withLedgerLock(state, () => {
    const ts = input.host ?? openToolstack(state);
    try {
      let l = readLedger(state);
      const existing = l.domains.find((d) => d.name === cfg.name);
      if (existing?.extents.some((e) => e.state === "allocating")) {
        throw new LifecycleError("domain.exists", `Domain ${cfg.name} has an unfinished allocation (a crash during ${isInterrupted(existing) ? "create" : "attach"})`, "run `vnvdimm reclaim` first");
      }
      if (existing?.status === "running" && !backendGone(state, existing)) throw new LifecycleError("domain.exists", `Domain ${cfg.name} is already running`, `destroy it first, or choose another name`);
      if (existing) {
        // The config it is given, or a refusal: never the first config's values kept silently.
        checkSameVnvdimms(existing, cfg);
        checkGuestMemory(cfg.name, input.backend ?? existing.backend, cfg.memoryMiB);
        existing.memoryMiB = cfg.memoryMiB;
        existing.configText = input.configText;
        if (input.configFile) existing.configFile = input.configFile; else delete existing.configFile;
        return restart(state, ts, l, existing, input.backend);
      }
      checkGuestMemory(cfg.name, input.backend ?? cfg.backend, cfg.memoryMiB);
      const txid = randomUUID();
      const dom: LedgerDomain = {
        name: cfg.name, domid: freeDomid(l.domains), configText: input.configText, ...(input.configFile ? { configFile: input.configFile } : {}), backend: input.backend ?? cfg.backend,
        memoryMiB: cfg.memoryMiB, status: "running", createdAt: new Date().toISOString(), extents: [],
      };
      l.domains.push(dom);
      cfg.vnvdimms.forEach((v, slot) => {
        // Each allocation sees the ones before it, because they are in the ledger already.
        dom.extents.push(extentFor(ts.booted, l, state, v, slot, v.id ?? `vnvdimm${slot}`, txid, describeSpec(v)));
      });
      l = save(state, l);
      crashPoint("create.after-intent");
      const d = l.domains.find((x) => x.name === cfg.name)!;
      // Every check and every plan before the first write: a refusal leaves the media as it was.
      const prepared: (PreparedProvision | undefined)[] = [];
      try {
        for (const e of d.extents) if (!input.force) checkNoForeignLabels(ts.booted.media, e, d.name);
        cfg.vnvdimms.forEach((v, i) => prepared.push(prepareProvision(ts.booted.media, d.extents[i]!, v.type === "size" ? v : {}, input.images)));
      } catch (err) {
        closeProvisions(prepared);
        l.domains = l.domains.filter((x) => x.name !== cfg.name);
        save(state, l);
        throw err;
      }
      try {
        // --force overrides the foreign-label refusal, never data remanence: what was there is zeroed first.
        if (input.force) for (const e of d.extents) scrubExtent(ts.booted.media, e);
        for (const p of prepared) applyProvision(p, (what) => crashPoint(what === "image" ? "create.mid-image" : "create.mid-provision"));
      } catch (err) {
        closeProvisions(prepared);
        unwindProvision(state, l, d.name, d.extents, true);
        throw err;
      }
      crashPoint("create.before-commit");
      for (const e of d.extents) { e.state = "held"; e.provisioned = true; }
      l = save(state, l);
      const committed = l.domains.find((x) => x.name === cfg.name)!;
      const { run, qemu } = startBackend(state, ts.booted, l, committed);
      ts.running.set(committed.name, run);
      return { name: committed.name, domid: run.domid, recreated: false, extents: committed.extents, backend: committed.backend, ...(qemu ? { qemu } : {}) };
    } finally {
      if (!input.host) ts.close();
    }
  });
}

/**
 * Starts an existing domain (stopped, or crashed: its QEMU died) on its
 * recorded config and pages. A crashed domain's old hypervisor domain goes first.
 */
function restart(state: string, ts: Toolstack, l: Ledger, existing: LedgerDomain, backend: "builtin" | "qemu" | undefined): CreateResult {
  const dead = ts.running.get(existing.name);
  if (dead) { ts.booted.hv.domainDestroy(CONTROL_DOMID, dead.domid); ts.running.delete(existing.name); }
  existing.status = "running";
  // The same pages, with either backend: a guest's data does not depend on who emulates the DIMMs.
  if (backend) existing.backend = backend;
  l = save(state, l);
  const d = l.domains.find((x) => x.name === existing.name)!;
  const { run, qemu } = startBackend(state, ts.booted, l, d);
  ts.running.set(d.name, run);
  return { name: d.name, domid: run.domid, recreated: true, extents: d.extents, backend: d.backend, ...(qemu ? { qemu } : {}) };
}

/** `vnvdimm start`: a stopped (or crashed) domain runs again on the config and pages it was last started with. */
export function startStoppedDomain(state: string, name: string, opts: { backend?: "builtin" | "qemu"; host?: Toolstack } = {}): CreateResult {
  return withLedgerLock(state, () => {
    const ts = opts.host ?? openToolstack(state);
    try {
      const l = readLedger(state);
      const d = findDomain(l, name);
      refuseInterrupted(d);
      if (d.extents.some((e) => e.state === "allocating")) throw new LifecycleError("domain.exists", `Domain ${name} has an unfinished allocation (a crash during attach)`, "run `vnvdimm reclaim` first");
      if (d.status === "running" && !backendGone(state, d)) throw new LifecycleError("domain.running", `Domain ${name} is already running`, `stop it first with \`vnvdimm destroy ${name}\``);
      checkGuestMemory(name, opts.backend ?? d.backend, d.memoryMiB);
      return restart(state, ts, l, d, opts.backend);
    } finally {
      if (!opts.host) ts.close();
    }
  });
}

/**
 * A provisioning that failed part way (an image that shrank or could not be
 * read, a media error): no label was written, but the pages may hold part of
 * an image, so they leave the domain (or the domain its ledger entry, for a
 * create) as released, and are zeroed before they are free. A crash in
 * between leaves them released, for the next reclaim.
 */
function unwindProvision(state: string, l: Ledger, domain: string, extents: readonly LedgerExtent[], dropDomain: boolean): void {
  const gone = new Set(extents.map((e) => e.smfn));
  if (dropDomain) l.domains = l.domains.filter((x) => x.name !== domain);
  else for (const d of l.domains.filter((x) => x.name === domain)) d.extents = d.extents.filter((e) => !gone.has(e.smfn));
  l.released.push(...extents.map((e) => released(domain, e, false)));
  save(state, l);
  finishScrubs(state);
}

export function createDomainFromFile(state: string, file: string, opts: { backend?: "builtin" | "qemu"; force?: boolean } = {}): CreateResult {
  let text: string;
  try { text = readFileSync(file, "utf8"); } catch {
    throw new LifecycleError("domain.missing", `Cannot read domain config ${file}: no such file`, "pass the path of an xl-style config", 2);
  }
  return createDomain(state, { configText: text, configFile: file, ...opts });
}

function findDomain(l: Ledger, name: string): LedgerDomain {
  const d = l.domains.find((x) => x.name === name);
  if (!d) throw new LifecycleError("domain.missing", `No domain named ${name}`, "see `vnvdimm list`", 2);
  return d;
}

/** Stops a domain: its pages leave it in the hypervisor; the ledger keeps them held for its name. */
export function destroyDomain(state: string, name: string): { name: string; releasedPages: number } {
  return withLedgerLock(state, () => {
    const l = readLedger(state);
    const d = findDomain(l, name);
    if (d.status === "stopped") throw new LifecycleError("domain.stopped", `Domain ${name} is not running`, undefined, 1);
    d.status = "stopped";
    save(state, l);
    return { name, releasedPages: d.extents.reduce((n, e) => n + e.nrPages, 0) };
  });
}

export interface DeleteResult {
  name: string;
  releasedExtents: LedgerExtent[];
  /** True when the pages were zeroed and are free; false with --keep-data. */
  scrubbed: boolean;
}

/**
 * Deletes a stopped domain. Its pages are zeroed and then freed, so no later
 * domain reads its data; with `keepData` they are kept, owned by nobody and
 * out of the free pool, until `reclaim --scrub`.
 */
export function deleteDomain(state: string, name: string, o: { keepData?: boolean; onProgress?: ScrubProgress } = {}): DeleteResult {
  return withLedgerLock(state, () => {
    const l = readLedger(state);
    const d = findDomain(l, name);
    // A crashed domain (its QEMU died) runs no guest that could still write: it may go like a stopped one.
    if (d.status === "running" && !backendGone(state, d)) throw new LifecycleError("domain.running", `Domain ${name} is running`, `stop it first with \`vnvdimm destroy ${name}\``, 1);
    l.domains = l.domains.filter((x) => x.name !== name);
    l.released.push(...d.extents.map((e) => released(name, e, o.keepData ?? false)));
    save(state, l);
    crashPoint("delete.after-release");
    if (!o.keepData) finishScrubs(state, { ...(o.onProgress ? { onProgress: o.onProgress } : {}) });
    return { name, releasedExtents: d.extents, scrubbed: !o.keepData };
  });
}

export interface DomainListEntry {
  name: string;
  domid: number | null;
  /**
   * "interrupted": a create a crash cut short (see isInterrupted); never started.
   * "crashed": the ledger says it runs but its backend has gone (a QEMU that died); create starts it again, destroy records it stopped.
   */
  status: "running" | "stopped" | "interrupted" | "crashed";
  backend: string;
  memoryMiB: number;
  vnvdimms: { id: string; slot: number; smfn: number; nrPages: number; nrLabelPages: number; node: number; state: string; gpa: bigint | null; sizeBytes: bigint }[];
  error?: string;
  /** What `vnvdimm reclaim` will do with this domain's unfinished extents. */
  reclaim?: string;
}

export interface DomainList { domains: DomainListEntry[]; orphans: { domain: string; extents: LedgerExtent[] }[]; released: ReleasedExtent[] }

export function listDomains(state: string): DomainList {
  const ts = openToolstack(state, { readOnly: true });
  try {
    return listDomainsOf(ts);
  } finally {
    ts.close();
  }
}

/** The listing of a booted toolstack: a fresh one, or the living host's. */
export function listDomainsOf(ts: Pick<Toolstack, "state" | "ledger" | "running" | "failed">): DomainList {
    const domains = ts.ledger.domains.map((d): DomainListEntry => {
      const run = ts.running.get(d.name);
      const fail = ts.failed.find((f) => f.name === d.name);
      const reclaim = reclaimPlan(d);
      return {
        name: d.name, domid: run?.domid ?? null, status: isInterrupted(d) ? "interrupted" : d.status === "running" && backendGone(ts.state, d) ? "crashed" : d.status, backend: d.backend, memoryMiB: d.memoryMiB,
        vnvdimms: d.extents.map((e) => {
          const w = run?.layout.windows.find((x) => x.slot === e.slot);
          return { id: e.id, slot: e.slot, smfn: e.smfn, nrPages: e.nrPages, nrLabelPages: e.nrLabelPages, node: e.node, state: e.state, gpa: w?.gpa ?? null, sizeBytes: BigInt(e.nrPages - e.nrLabelPages) * PAGE };
        }),
        ...(fail ? { error: fail.message } : {}),
        ...(reclaim ? { reclaim } : {}),
      };
    });
    const orphans = ts.ledger.domains.map((d) => ({ domain: d.name, extents: d.extents.filter((e) => e.state === "allocating") })).filter((o) => o.extents.length);
    return { domains, orphans, released: ts.ledger.released };
}

export interface ReclaimResult {
  reclaimed: { domain: string; extents: LedgerExtent[] }[];
  /** Released extents zeroed and freed now: ones a crash left mid-scrub, and kept ones with `scrub`. */
  scrubbed: ReleasedExtent[];
}

/**
 * After a crash mid-create or mid-attach: drops unfinished allocations (and
 * domains left with nothing), zeroing their pages, which may hold half-made
 * labels; finishes scrubs a crash interrupted; with `scrub`, also zeroes and
 * frees the extents `delete --keep-data` kept.
 */
export function reclaimOrphans(state: string, o: { scrub?: boolean; onProgress?: ScrubProgress } = {}): ReclaimResult {
  return withLedgerLock(state, () => {
    const l = readLedger(state);
    const reclaimed: { domain: string; extents: LedgerExtent[] }[] = [];
    const interrupted = new Set(l.domains.filter(isInterrupted).map((d) => d.name));
    for (const d of l.domains) {
      const gone = d.extents.filter((e) => e.state === "allocating");
      if (gone.length) reclaimed.push({ domain: d.name, extents: gone });
      d.extents = d.extents.filter((e) => e.state !== "allocating");
      l.released.push(...gone.map((e) => released(d.name, e, false)));
    }
    // The others keep their recorded domids: nothing is renumbered.
    l.domains = l.domains.filter((d) => !interrupted.has(d.name));
    save(state, l);
    const scrubbed = finishScrubs(state, { includeKept: o.scrub ?? false, ...(o.onProgress ? { onProgress: o.onProgress } : {}) });
    return { reclaimed, scrubbed };
  });
}

/** Hotplug: a new vNVDIMM for a domain (running or stopped), allocated and provisioned like at create. */
export function attachVnvdimm(state: string, name: string, specText: string, opts: { force?: boolean; images?: ImagePolicy; host?: Toolstack } = {}): { name: string; extent: LedgerExtent } {
  const v = parseVnvdimmSpec(specText, "attach");
  return withLedgerLock(state, () => {
    const ts = opts.host ?? openToolstack(state);
    try {
      let l = readLedger(state);
      const d = findDomain(l, name);
      const slot = d.extents.reduce((m, e) => Math.max(m, e.slot + 1), 0);
      const id = v.id ?? `vnvdimm${slot}`;
      if (d.extents.some((e) => e.id === id)) throw new LifecycleError("domain.exists", `Domain ${name} already has a vNVDIMM ${id}`, "choose another id=");
      d.extents.push(extentFor(ts.booted, l, state, v, slot, id, randomUUID(), describeSpec(v)));
      l = save(state, l);
      crashPoint("attach.after-intent");
      const dd = findDomain(l, name);
      const e = dd.extents.find((x) => x.id === id)!;
      let prepared: PreparedProvision | undefined;
      try {
        if (!opts.force) checkNoForeignLabels(ts.booted.media, e, name);
        prepared = prepareProvision(ts.booted.media, e, v.type === "size" ? v : {}, opts.images);
      } catch (err) {
        dd.extents = dd.extents.filter((x) => x.id !== id);
        save(state, l);
        throw err;
      }
      try {
        if (opts.force) scrubExtent(ts.booted.media, e);
        applyProvision(prepared, (what) => crashPoint(what === "image" ? "attach.mid-image" : "attach.mid-provision"));
      } catch (err) {
        prepared?.close();
        unwindProvision(state, l, name, [e], false);
        throw err;
      }
      e.state = "held";
      e.provisioned = true;
      save(state, l);
      return { name, extent: e };
    } finally {
      if (!opts.host) ts.close();
    }
  });
}

/** Hot-unplug (which QEMU cannot do): the vNVDIMM leaves the domain, and its extent is zeroed and released. */
export function detachVnvdimm(state: string, name: string, id: string, o: { onProgress?: ScrubProgress } = {}): { name: string; extent: LedgerExtent } {
  return withLedgerLock(state, () => {
    const l = readLedger(state);
    const d = findDomain(l, name);
    const e = d.extents.find((x) => x.id === id || String(x.slot) === id);
    if (!e) throw new LifecycleError("vnvdimm.missing", `Domain ${name} has no vNVDIMM ${id}`, `see \`vnvdimm list\``, 2);
    d.extents = d.extents.filter((x) => x !== e);
    l.released.push(released(name, e, false));
    save(state, l);
    finishScrubs(state, { ...(o.onProgress ? { onProgress: o.onProgress } : {}) });
    return { name, extent: e };
  });
}
