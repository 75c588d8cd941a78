// The lifecycle verbs that reach a running backend: destroy stops QEMU before
// the domain's pages leave it; attach hotplugs into a running QEMU; detach
// refuses what QEMU cannot do (NVDIMM hot-unplug); list asks QEMU how it is.
import { openEmulatedHost } from "../host/index.js";
import { readLedger, type LedgerExtent } from "./ledger.js";
import { attachVnvdimm, destroyDomain, detachVnvdimm, listDomains, openToolstack, LifecycleError, type DomainList, type DomainListEntry } from "./lifecycle.js";
import { guestLayoutFor } from "./domain-boot.js";
import { QemuDomainError, guestBadRanges, hotplugQemu, qemuRunState, stopQemuDomain, tellQemuGuest, type QemuRunState, type StopHow } from "./qemu-domain.js";
import { DEFAULT_ON_MCE, parseDomainConfig, type OnMce } from "./config/index.js";
import { qemuDomainPaths, readRunRecord } from "../backends/index.js";

function domainOf(state: string, name: string) {
  const d = readLedger(state).domains.find((x) => x.name === name);
  if (!d) throw new LifecycleError("domain.missing", `No domain named ${name}`, "see `vnvdimm list`", 2);
  return d;
}

const runningQemu = (d: { backend: string; status: string }): boolean => d.backend === "qemu" && d.status === "running";

/** Stops a domain; for qemu, QEMU is stopped (and the media synced) before the ledger lets its pages go. */
export async function destroyRunningDomain(state: string, name: string): Promise<ReturnType<typeof destroyDomain> & { qemu?: StopHow }> {
  const d = domainOf(state, name);
  if (!runningQemu(d)) return destroyDomain(state, name);
  const how = await stopQemuDomain(state, name, openEmulatedHost(state).dimms.map((x) => x.path));
  return { ...destroyDomain(state, name), qemu: how };
}

/** Attach; into a running QEMU too, by QMP hotplug. If QEMU refuses, the new extent is released again. */
export async function attachToDomain(state: string, name: string, spec: string, opts: Parameters<typeof attachVnvdimm>[3] = {}): Promise<{ name: string; extent: LedgerExtent; hotplugged: boolean }> {
  const d = domainOf(state, name);
  const r = attachVnvdimm(state, name, spec, opts);
  if (!runningQemu(d)) return { ...r, hotplugged: false };
  const ts = opts.host ?? openToolstack(state);
  try {
    const dom = readLedger(state).domains.find((x) => x.name === name)!;
    await hotplugQemu(state, ts.booted, dom, guestLayoutFor(dom), r.extent);
  } catch (e) {
    detachVnvdimm(state, name, r.extent.id);
    throw e;
  } finally {
    if (!opts.host) ts.close();
  }
  return { ...r, hotplugged: true };
}

/** Detach; QEMU cannot hot-unplug an NVDIMM, so a running qemu domain is refused with what to do instead. */
export function detachFromDomain(state: string, name: string, id: string, o: Parameters<typeof detachVnvdimm>[3] = {}): ReturnType<typeof detachVnvdimm> {
  const d = domainOf(state, name);
  if (runningQemu(d)) {
    throw new QemuDomainError("qemu.unplug", `QEMU cannot hot-unplug an NVDIMM, so ${id} cannot leave the running domain ${name}`,
      `stop the domain first (\`vnvdimm destroy ${name}\`), then detach; the next \`vnvdimm start ${name}\` boots without it`);
  }
  return detachVnvdimm(state, name, id, o);
}

export type DomainListing = ReturnType<typeof listDomains>["domains"][number] & { qemu?: QemuRunState };

/** `list`, with each running qemu domain's real state from QMP (or "gone"). */
export async function listDomainsLive(state: string, base?: DomainList): Promise<Omit<DomainList, "domains"> & { domains: DomainListing[] }> {
  const r = base ?? listDomains(state);
  const domains: DomainListing[] = [];
  for (const d of r.domains) domains.push(runningQemu(d) ? { ...d, qemu: await qemuRunState(state, d.name) } : (d as DomainListEntry));
  return { domains, orphans: r.orphans, released: r.released };
}

/** One domain as `xl list -l` or `virsh dumpxml` give it: its listing, the config text it was created from, and each vNVDIMM's spec. */
export type DomainDetails = Omit<DomainListing, "vnvdimms"> & {
  createdAt: string;
  configFile?: string;
  /** The config text exactly as its last create stored it (an attach or detach since then is in `vnvdimms`, not here). */
  config: string;
  vnvdimms: (DomainListEntry["vnvdimms"][number] & { spec: string; provisioned: boolean })[];
};

/** `show NAME`: the listing of one domain (a living host's when given) with what the ledger stores for it. */
export async function showDomainLive(state: string, name: string, base?: DomainList): Promise<DomainDetails> {
  const d = domainOf(state, name);
  const listed = (base ?? listDomains(state)).domains.find((x) => x.name === name);
  if (!listed) throw new LifecycleError("domain.missing", `No domain named ${name}`, "see `vnvdimm list`", 2);
  const row: DomainListing = runningQemu(listed) ? { ...listed, qemu: await qemuRunState(state, name) } : listed;
  const vnvdimms = row.vnvdimms.map((v) => {
    const e = d.extents.find((x) => x.id === v.id);
    return { ...v, spec: e?.spec ?? "", provisioned: e?.provisioned ?? false };
  });
  return { ...row, createdAt: d.createdAt, ...(d.configFile ? { configFile: d.configFile } : {}), config: d.configText, vnvdimms };
}

export interface MceAction {
  /** The owner's on_mce (its config's, else DEFAULT_ON_MCE). */
  policy: OnMce;
  /** "stopped": the domain was stopped; "told": its running guest put the page in its badblocks now and runs on. */
  action: "stopped" | "told";
  /** Where the running guest marked the page: "pmem0 sectors 8+8". */
  marked: string[];
  /** Why on_mce = "tell" stopped the domain after all. */
  why?: string;
  /** How QEMU was stopped. */
  qemu?: StopHow;
}

function onMceOf(d: { configText: string }): OnMce {
  try { return parseDomainConfig(d.configText).onMce ?? DEFAULT_ON_MCE; } catch { return DEFAULT_ON_MCE; }
}

/**
 * What a machine check on `mfn` does to its owner, after the hypervisor
 * isolated the page. A builtin guest loses the page from its P2M and is told
 * by ARS, so nothing more is needed (undefined). QEMU maps the whole extent
 * and its NVDIMM has no ARS, so a running qemu domain would go on using the
 * page unawares: it is stopped (on_mce = "stop", the default), or with
 * on_mce = "tell" its guest marks the page in its badblocks now, and if it
 * cannot (agent not up, the page under BTT, device-DAX or a label area) the
 * domain is stopped anyway. Never silent: the next boot marks it too.
 */
export async function applyMcePolicy(state: string, name: string, mfn: number): Promise<MceAction | undefined> {
  const d = domainOf(state, name);
  if (!runningQemu(d)) return undefined;
  const policy = onMceOf(d);
  let why: string | undefined;
  if (policy === "tell") {
    const windows = readRunRecord(qemuDomainPaths(state, name))?.windows ?? [];
    const ranges = guestBadRanges([mfn], windows, d.extents);
    const told = ranges.length ? await tellQemuGuest(state, name, ranges) : undefined;
    if (told && told.marked.length && !told.unmarked.length) {
      return { policy, action: "told", marked: told.marked.map((m) => `${m.device} sectors ${m.sector}+${m.count}`) };
    }
    why = !ranges.length ? "the page is in a label area, which has no badblocks"
      : !told ? "its guest agent could not be asked"
      : "no pmem block device covers the page (BTT, device-DAX or outside a namespace have no badblocks to write)";
  }
  const r = await destroyRunningDomain(state, name);
  return { policy, action: "stopped", marked: [], ...(why ? { why } : {}), ...(r.qemu ? { qemu: r.qemu } : {}) };
}
