// What `create` may change in a domain that exists, and how it says no.
// Memory, vcpus and on_mce touch no persistent media: a stopped domain takes
// them from the config it is started with. A vNVDIMM is provisioned media
// (an extent, its labels, maybe a filesystem): another size, node, namespace
// or image would need new pages or a rewrite of what the guest stored, so
// `create` refuses and names the difference and the way to apply it.
import { guestMemoryFloorMiB } from "../backends/index.js";
import { DEFAULT_ALIGN_BYTES, DEFAULT_SECTOR_SIZE, parseDomainConfig, type DomainConfig, type VnvdimmConfig } from "./config/index.js";
import type { LedgerDomain } from "./ledger.js";
import { LifecycleError } from "./lifecycle-error.js";

/** The spec an extent is recorded with (LedgerExtent.spec): what its provisioning depended on, defaults left out. */
export function describeSpec(v: VnvdimmConfig): string {
  if (v.type === "mfn") return `type=mfn, backend=0x${v.backendMfn.toString(16)}, nr_pages=${v.nrPages}, nr_label_pages=${v.nrLabelPages}`;
  const parts = [`size=${v.sizeBytes}`, `label_size=${v.labelSizeBytes}`];
  if (v.node !== undefined) parts.push(`node=${v.node}`);
  const ns = v.namespace;
  if (ns) {
    parts.push(`namespace=${ns.mode}${ns.name ? `:${ns.name}` : ""}`, `labels=${ns.labels}`);
    // Non-defaults only, so the specs recorded before these were recorded still compare equal.
    if ((ns.mode === "fsdax" || ns.mode === "devdax") && ns.alignBytes !== DEFAULT_ALIGN_BYTES) parts.push(`align=${ns.alignBytes}`);
    if (ns.mode === "sector" && ns.sectorSize !== DEFAULT_SECTOR_SIZE) parts.push(`sector_size=${ns.sectorSize}`);
    if (ns.mode === "fsdax" && ns.image !== undefined) parts.push(`image=${ns.image}`);
  }
  if (v.unarmed) parts.push("unarmed=1");
  return parts.join(", ");
}

/** Specs recorded before image= was recorded: the image was written then, and a config still naming one matches. */
function sameSpec(recorded: string, wanted: string): boolean {
  return recorded === wanted || (!recorded.includes("image=") && recorded === wanted.replace(/, image=.*?(?=, unarmed=1$|$)/, ""));
}

/** Refuses a config whose vNVDIMMs are not the ones the domain holds, naming the first difference and how to apply it. */
export function checkSameVnvdimms(d: LedgerDomain, cfg: DomainConfig): void {
  const wanted = cfg.vnvdimms.map((v, slot) => ({ id: v.id ?? `vnvdimm${slot}`, spec: describeSpec(v) }));
  const refuse = (what: string, hint: string): never => {
    throw new LifecycleError("domain.changed", `Domain ${d.name} exists, and ${what}`, hint);
  };
  const remake = `a vNVDIMM is provisioned media: to change it, \`vnvdimm delete ${d.name}\` (its data is zeroed) and create it again; to start the domain as it is, \`vnvdimm start ${d.name}\``;
  for (const w of wanted) {
    const e = d.extents.find((x) => x.id === w.id);
    if (!e) refuse(`the config adds vNVDIMM ${w.id} (${w.spec})`, `add it with \`vnvdimm attach ${d.name} '${w.spec}'\`, then create (or \`vnvdimm start ${d.name}\`)`);
    else if (!sameSpec(e.spec, w.spec)) refuse(`its vNVDIMM ${w.id} is '${e.spec}', but the config asks for '${w.spec}'`, remake);
  }
  const extra = d.extents.find((e) => !wanted.some((w) => w.id === e.id));
  if (extra) refuse(`it holds vNVDIMM ${extra.id} (${extra.spec}), which the config lacks`, `add '${extra.spec}' (id=${extra.id}) to the config's vnvdimms, or remove it with \`vnvdimm detach ${d.name} ${extra.id}\` (its data is zeroed)`);
}

/** Refuses memory the backend's guest cannot boot in, before anything is allocated or started. */
export function checkGuestMemory(name: string, backend: string, memoryMiB: number): void {
  const floor = guestMemoryFloorMiB(backend);
  if (!floor || memoryMiB >= floor.minMiB) return;
  throw new LifecycleError("domain.memory", `Domain ${name} has memory = ${memoryMiB} (MiB), but a ${backend} guest needs at least ${floor.minMiB}: ${floor.why}`,
    `set memory = ${floor.minMiB} or more in its config`, 2);
}

/** vcpus from the domain's stored config (1 when it has none, as xl). */
export function vcpusOf(d: Pick<LedgerDomain, "configText">): number {
  try { return parseDomainConfig(d.configText).vcpus ?? 1; } catch { return 1; }
}
