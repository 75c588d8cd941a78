// What every verb is for, in one line, and where each route lives: the light
// half of src/api. The command objects take their summaries from here and
// the route table (routes.ts) takes each route's method, path and summary
// from here, adding its schemas and its command. The CLI registers its
// commands with these, and when a daemon serves the state directory it sends
// the input to the route's method and path: that path loads no schema, no
// command and nothing of the toolstack (see client.ts).

/** Each verb's one-line summary, by its command object's name: the CLI's help, the OpenAPI summary. */
export const SUMMARY = {
  "host init": "Create an emulated host: sparse NVDIMM files and firmware tables from a machine spec",
  "host status": "The host: DIMMs, namespaces, reservations, and the hypervisor's regions",
  "host mce": "Inject a machine check: the page becomes broken and its owner is told",
  "host stop": "Stop the living host: builtin guests power off, qemu guests keep running; the next command starts it again",
  "host add-dimm": "Hotplug an emulated NVDIMM: new sparse media above every other DIMM, the platform FIT rewritten, dom0's report to the hypervisor",
  "pmem list": "List the hypervisor's pmem regions (raw, mgmt, data), like `xl pmem-list`",
  "pmem map": "Each host DIMM from end to end: namespaces, reservations, management and data areas, extents, free space, broken pages",
  "pmem setup": "The low-level pmem_setup hypercall (lasts until the next boot, as in Xen)",
  "pmem reserve": "Mark a namespace for hypervisor use with an on-media reservation record",
  "pmem forget": "Acknowledge a lost reservation (damaged, or taken over by another OS): the host stops warning about it",
  "create": "Create a domain from an xl-style config, or start a stopped one on the same pages with the config's memory, vcpus and on_mce",
  "start": "Start a stopped (or crashed) domain on its stored config and the same pages",
  "show": "One domain as `xl list -l` shows it: its state, its vNVDIMMs and host extents, and its config as stored",
  "list": "List domains, their vNVDIMMs and host extents; qemu domains as QEMU reports them",
  "destroy": "Stop a domain (a qemu guest powers off); its extents stay held for it (contents intact)",
  "delete": "Delete a stopped domain: its pages are zeroed and freed (or kept, owned by nobody, with keep-data)",
  "attach": "Hotplug a vNVDIMM into a domain: a running builtin guest re-reads its FIT (with `vnvdimm up`), a running qemu domain gets it through QMP",
  "detach": "Hot-unplug a vNVDIMM from a domain; its extent is zeroed and freed (QEMU cannot: stop a qemu domain first)",
  "reclaim": "Release allocations a crash left unfinished and finish interrupted scrubs; with scrub, also zero and free kept extents",
  "guest namespaces": "What the guest sees: its namespaces, as the guest's own driver finds them",
  "guest write": "Write bytes into a namespace through the guest's view of it",
  "guest read": "Read from a namespace through the guest's view of it",
  "guest ars": "Address Range Scrub in the guest: the broken ranges it finds, and the errors its driver was told of",
  "guest exec": "Run a command in a qemu domain's Linux guest; prints its output and exits with its status",
  "console": "Attach to a qemu domain's serial console, read-write, as `xl console` does (Ctrl-] leaves)",
  "inspect labels": "Decode and validate an NVDIMM label area, its namespaces and their info blocks",
  "inspect acpi": "Decode an ACPI table: NFIT in full, others by header and checksum",
  "setup qemu": "Install QEMU (>= 8.1), Debian's kernel, ndctl and busybox through apt, and build the cached guest image",
} as const;

export type Method = "GET" | "POST" | "DELETE";

/** Where a route lives and what it is for; routes.ts adds its schemas and its command. */
export interface RouteMeta {
  method: Method;
  /** OpenAPI path template: `{name}` segments are path parameters. */
  path: string;
  summary: string;
  /** The CLI command line that does the same, for docs and help. */
  cli: string;
  /** A GET that needs the token too: it reads what a guest stored. Mutations always need it. */
  secret?: boolean;
}

/** Every route, by its stable id (also the OpenAPI operationId), in the route table's order. */
export const ROUTE_META = {
  getHost: { method: "GET", path: "/api/host", cli: "vnvdimm host status", summary: SUMMARY["host status"] },
  getPmemMap: { method: "GET", path: "/api/pmem/map", cli: "vnvdimm pmem map", summary: SUMMARY["pmem map"] },
  listPmemRegions: { method: "GET", path: "/api/pmem/regions", cli: "vnvdimm pmem list", summary: SUMMARY["pmem list"] },
  reservePmem: { method: "POST", path: "/api/pmem/reserve", cli: "vnvdimm pmem reserve", summary: SUMMARY["pmem reserve"] },
  forgetReservation: { method: "POST", path: "/api/pmem/forget", cli: "vnvdimm pmem forget", summary: SUMMARY["pmem forget"] },
  setupPmem: { method: "POST", path: "/api/pmem/setup", cli: "vnvdimm pmem setup-mgmt | setup-data", summary: SUMMARY["pmem setup"] },
  injectMce: { method: "POST", path: "/api/host/mce", cli: "vnvdimm host mce", summary: SUMMARY["host mce"] },
  stopHost: { method: "POST", path: "/api/host/stop", cli: "vnvdimm host stop", summary: SUMMARY["host stop"] },
  addHostDimm: { method: "POST", path: "/api/host/dimms", cli: "vnvdimm host add-dimm", summary: SUMMARY["host add-dimm"] },
  listDomains: { method: "GET", path: "/api/domains", cli: "vnvdimm list", summary: SUMMARY["list"] },
  showDomain: { method: "GET", path: "/api/domains/{name}", cli: "vnvdimm show", summary: SUMMARY["show"] },
  createDomain: { method: "POST", path: "/api/domains", cli: "vnvdimm create", summary: SUMMARY["create"] },
  startDomain: { method: "POST", path: "/api/domains/{name}/start", cli: "vnvdimm start", summary: SUMMARY["start"] },
  destroyDomain: { method: "POST", path: "/api/domains/{name}/destroy", cli: "vnvdimm destroy", summary: SUMMARY["destroy"] },
  deleteDomain: { method: "DELETE", path: "/api/domains/{name}", cli: "vnvdimm delete", summary: SUMMARY["delete"] },
  attachVnvdimm: { method: "POST", path: "/api/domains/{name}/vnvdimms", cli: "vnvdimm attach", summary: SUMMARY["attach"] },
  detachVnvdimm: { method: "DELETE", path: "/api/domains/{name}/vnvdimms/{id}", cli: "vnvdimm detach", summary: SUMMARY["detach"] },
  guestNamespaces: { method: "GET", path: "/api/domains/{name}/namespaces", cli: "vnvdimm guest namespaces", summary: SUMMARY["guest namespaces"] },
  guestArs: { method: "GET", path: "/api/domains/{name}/ars", cli: "vnvdimm guest ars", summary: SUMMARY["guest ars"] },
  guestRead: { method: "GET", path: "/api/domains/{name}/namespaces/{namespace}/data", cli: "vnvdimm guest read", summary: SUMMARY["guest read"], secret: true },
  guestWrite: { method: "POST", path: "/api/domains/{name}/namespaces/{namespace}/data", cli: "vnvdimm guest write", summary: SUMMARY["guest write"] },
  guestExec: { method: "POST", path: "/api/domains/{name}/exec", cli: "vnvdimm guest exec", summary: SUMMARY["guest exec"] },
  reclaim: { method: "POST", path: "/api/reclaim", cli: "vnvdimm reclaim", summary: SUMMARY["reclaim"] },
} as const satisfies Record<string, RouteMeta>;

export type RouteId = keyof typeof ROUTE_META;

/** A route's id, method, path, summary and CLI line (and `secret`), for routes.ts to complete. */
export function routeMeta<Id extends RouteId>(id: Id): (typeof ROUTE_META)[Id] & { id: Id } {
  return { id, ...ROUTE_META[id] };
}

/** Whether a call needs `Authorization: Bearer <token>`. */
export const needsToken = (r: { method: Method; secret?: boolean }): boolean => r.method !== "GET" || r.secret === true;

export const DEFAULT_BODY_LIMIT = 1 << 20;
/** Longest guest read or write in one call; the CLI's own limit. */
export const MAX_GUEST_IO_BYTES = 64 << 20;
