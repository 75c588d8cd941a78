// The route table: every verb that touches a host's state, once, with its
// HTTP method and path, the zod schema of its input, and the command object
// that does the work. The HTTP server serves it; the CLI either sends the
// same input to a running daemon or runs the same route here, so both paths
// validate alike, do the same thing and fail with the same errors.
//
// A route's input is one object: the path parameters plus the query string
// (GET) or the JSON body (POST, DELETE).
import { z } from "zod";
import type { PmemMgmtPlacement, RegionType } from "../hypervisor/index.js";
import type { ImagePolicy, LiveHost } from "../toolstack/index.js";
import { UserError } from "./errors.js";
import { hostAddDimmCommand, hostMceCommand, hostStatusCommand, pmemListCommand, pmemReserveCommand, pmemSetupCommand } from "./host-commands.js";
import {
  attachCommand, createCommand, deleteCommand, destroyCommand, detachCommand, guestArsCommand, guestExecCommand, guestNamespacesCommand, guestReadCommand, guestWriteCommand,
  listCommand, reclaimCommand,
} from "./domain-commands.js";
import { pmemMapCommand } from "./pmem-map.js";
import * as out from "./responses.js";

export type Method = "GET" | "POST" | "DELETE";

/** Sent to every SSE client after a successful mutation, so views refetch. */
export interface ChangeEvent { kind: string; domain?: string }

export interface RunContext {
  state: string;
  /** The living host, when this process is `vnvdimm up`: reads come from it, and mutations bring it up to date. */
  live?: LiveHost;
  /**
   * Where a config's image= files may come from. The CLI in its own process
   * passes "any" (it reads as its caller); the HTTP server passes its images
   * directory (`vnvdimm up --images`), or none, which refuses every image=.
   */
  images: ImagePolicy;
  /** Progress of a long step, for a progress bar or an SSE `progress` event. */
  onProgress?: (label: string, done: number, total: number) => void;
}

export interface Route<S extends z.ZodType = z.ZodType, O = unknown, Id extends string = string> {
  /** Stable id, also the OpenAPI operationId. */
  id: Id;
  method: Method;
  /** OpenAPI path template: `{name}` segments are path parameters. */
  path: string;
  summary: string;
  /** The CLI command line that does the same, for docs and help. */
  cli: string;
  input: S;
  /** The success body as JSON (src/api/responses.ts), for the OpenAPI document and the tests. */
  output?: z.ZodType;
  /** A GET that needs the token too: it reads what a guest stored. Mutations always need it. */
  secret?: boolean;
  /** Bytes a request body may have; default DEFAULT_BODY_LIMIT. */
  maxBodyBytes?: number;
  run(input: z.output<S>, ctx: RunContext): O | Promise<O>;
  /** The HTTP status of a success; default 200. */
  status?(output: O): number;
  /** Every status `status` may return, for the OpenAPI document; default [200]. */
  statuses?: readonly number[];
  change?(input: z.output<S>, output: O): ChangeEvent;
}

export const DEFAULT_BODY_LIMIT = 1 << 20;
/** Longest guest read or write in one call; the CLI's own limit. */
export const MAX_GUEST_IO_BYTES = 64 << 20;

function route<Id extends string, S extends z.ZodType, O>(r: Route<S, O, Id>): Route<S, O, Id> {
  return r;
}

// Field schemas. Numbers may come as JSON numbers or as text (a query string,
// or "0x…" hex); u64 values may also arrive as exact bigints (src/api/json.ts).
const INT_TEXT = /^(0x[0-9a-f]+|\d+)$/i;
const safeInt = (what: string) => z.union([z.number(), z.string()]).transform((v, ctx) => {
  const n = typeof v === "number" ? v : INT_TEXT.test(v) ? Number(v) : NaN;
  if (!Number.isSafeInteger(n) || n < 0) {
    ctx.addIssue({ code: "custom", message: `expected ${what}: a non-negative integer (decimal or 0x hex)` });
    return z.NEVER;
  }
  return n;
});
const u64 = (what: string) => z.union([z.number(), z.bigint(), z.string()]).transform((v, ctx) => {
  const ok = typeof v === "bigint" ? v >= 0n : typeof v === "number" ? Number.isSafeInteger(v) && v >= 0 : INT_TEXT.test(v);
  const n = ok ? BigInt(v) : -1n;
  if (!ok || n >= 1n << 64n) {
    ctx.addIssue({ code: "custom", message: `expected ${what}: an unsigned 64-bit integer (decimal or 0x hex)` });
    return z.NEVER;
  }
  return n;
});
const domainName = z.string().min(1).max(128).describe("domain name");
const force = z.boolean().optional().describe("overwrite what would otherwise be refused (its data is lost)");
// A query string carries text; a JSON body a boolean.
const probe = z.union([z.boolean(), z.enum(["true", "false", "1", "0"])]).optional()
  .transform((v) => v === true || v === "true" || v === "1")
  .describe("ask vnvdimm's probe guest instead of a qemu domain's real Linux");
const REGION_TYPES = ["raw", "mgmt", "data"] as const;

export const routes = [
  route({
    id: "getHost", method: "GET", path: "/api/host", cli: "vnvdimm host status",
    summary: "The host: DIMMs, namespaces, reservations, and the hypervisor's regions",
    input: z.object({
      pmemMgmt: z.enum(["ram", "pmem"]).optional().describe("boot with this pmem_mgmt instead of the host's setting"),
    }).strict(),
    output: out.hostStatusOutput,
    run: (i, { state, live }) => hostStatusCommand.run({ state, live, ...(i.pmemMgmt ? { pmemMgmt: i.pmemMgmt } : {}) }),
  }),
  route({
    id: "getPmemMap", method: "GET", path: "/api/pmem/map", cli: "vnvdimm pmem map",
    summary: pmemMapCommand.summary,
    input: z.object({}).strict(),
    output: out.pmemMapOutput,
    run: (_i, { state, live }) => pmemMapCommand.run({ state, live }),
  }),
  route({
    id: "listPmemRegions", method: "GET", path: "/api/pmem/regions", cli: "vnvdimm pmem list",
    summary: pmemListCommand.summary,
    input: z.object({
      types: z.string().regex(/^(raw|mgmt|data)(,(raw|mgmt|data))*$/, "expected a comma-separated list of raw, mgmt, data").optional()
        .describe("which region types (default all)"),
    }).strict(),
    output: out.pmemListOutput,
    run: (i, { state, live }) => pmemListCommand.run({ state, live, types: (i.types?.split(",") ?? []) as RegionType[] }),
  }),
  route({
    id: "reservePmem", method: "POST", path: "/api/pmem/reserve", cli: "vnvdimm pmem reserve",
    summary: pmemReserveCommand.summary,
    input: z.object({
      namespace: z.string().min(1).max(64).optional().describe("reserve this existing namespace (uuid or name)"),
      dimm: safeInt("a DIMM index").optional().describe("reserve free space on this host DIMM"),
      mgmt: z.enum(["ram", "pmem"]).default("pmem").describe("where the frame table lives"),
      labels: z.enum(["1.1", "1.2"]).optional().describe("label version when the DIMM has none"),
      force,
    }).strict().refine((i) => (i.namespace === undefined) !== (i.dimm === undefined), { message: "give exactly one of namespace or dimm" }),
    output: out.pmemReserveOutput,
    run: (i, { state, live }) => pmemReserveCommand.run({
      state, live, mgmt: i.mgmt as PmemMgmtPlacement, force: i.force ?? false, ...(i.labels ? { labels: i.labels } : {}),
      ...(i.namespace !== undefined ? { namespace: i.namespace } : {}), ...(i.dimm !== undefined ? { dimm: i.dimm } : {}),
    }),
    change: () => ({ kind: "pmem.reserved" }),
  }),
  route({
    id: "setupPmem", method: "POST", path: "/api/pmem/setup", cli: "vnvdimm pmem setup-mgmt | setup-data",
    summary: pmemSetupCommand.summary,
    input: z.object({
      type: z.enum(["mgmt", "data"]),
      smfn: safeInt("an MFN"), emfn: safeInt("an MFN"),
      mgmtSmfn: safeInt("an MFN").optional(), mgmtEmfn: safeInt("an MFN").optional(),
    }).strict().refine((i) => (i.mgmtSmfn === undefined) === (i.mgmtEmfn === undefined), { message: "give both mgmtSmfn and mgmtEmfn, or neither" }),
    output: out.pmemSetupOutput,
    run: (i, { state, live }) => pmemSetupCommand.run({
      state, live, type: i.type, smfn: i.smfn, emfn: i.emfn, ...(i.mgmtSmfn !== undefined ? { mgmtSmfn: i.mgmtSmfn, mgmtEmfn: i.mgmtEmfn! } : {}),
    }),
    change: () => ({ kind: "pmem.setup" }),
  }),
  route({
    id: "injectMce", method: "POST", path: "/api/host/mce", cli: "vnvdimm host mce",
    summary: hostMceCommand.summary,
    input: z.object({ mfn: safeInt("an MFN").describe("machine frame number (number, or decimal/0x hex text)") }).strict(),
    output: out.hostMceOutput,
    run: (i, { state, live }) => hostMceCommand.run({ state, live, mfn: i.mfn }),
    // The owner's name, so a page showing that domain's guest (its ARS) knows to look again.
    change: (_i, o) => ({ kind: "host.mce", ...(o.domain !== null ? { domain: o.domain } : {}) }),
  }),
  route({
    id: "addHostDimm", method: "POST", path: "/api/host/dimms", cli: "vnvdimm host add-dimm",
    summary: hostAddDimmCommand.summary,
    input: z.object({
      node: safeInt("a NUMA node").describe("the node the new DIMM sits on (it must have a socket)"),
      size: z.string().min(1).max(32).describe("its size, e.g. 2G"),
      labelSize: z.string().min(1).max(32).optional().describe("its label area (default 128K)"),
    }).strict(),
    output: out.addDimmOutput,
    run: (i, { state, live }) => hostAddDimmCommand.run({ state, live, node: i.node, size: i.size, ...(i.labelSize ? { labelSize: i.labelSize } : {}) }),
    status: () => 201,
    statuses: [201],
    change: () => ({ kind: "host.dimm-added" }),
  }),
  route({
    id: "listDomains", method: "GET", path: "/api/domains", cli: "vnvdimm list",
    summary: listCommand.summary,
    input: z.object({}).strict(),
    output: out.listOutput,
    run: (_i, { state, live }) => listCommand.run({ state, live }),
  }),
  route({
    id: "createDomain", method: "POST", path: "/api/domains", cli: "vnvdimm create",
    summary: createCommand.summary,
    input: z.object({
      config: z.string().min(1).max(DEFAULT_BODY_LIMIT / 2).describe("xl-style domain config text"),
      configFile: z.string().max(4096).optional().describe("where the text came from, used only in messages"),
      backend: z.enum(["builtin", "qemu"]).optional().describe("overrides the config's backend = (qemu: a real Linux guest; see `vnvdimm setup qemu`)"),
      force,
    }).strict(),
    output: out.createOutput,
    run: (i, { state, live, images }) => createCommand.run({
      state, live, config: i.config, force: i.force ?? false, images, ...(i.configFile ? { configFile: i.configFile } : {}), ...(i.backend ? { backend: i.backend } : {}),
    }),
    status: (o) => (o.recreated ? 200 : 201),
    statuses: [201, 200],
    change: (_i, o) => ({ kind: o.recreated ? "domain.started" : "domain.created", domain: o.name }),
  }),
  route({
    id: "destroyDomain", method: "POST", path: "/api/domains/{name}/destroy", cli: "vnvdimm destroy",
    summary: destroyCommand.summary,
    input: z.object({ name: domainName }).strict(),
    output: out.destroyOutput,
    run: (i, { state, live }) => destroyCommand.run({ state, live, name: i.name }),
    change: (i) => ({ kind: "domain.destroyed", domain: i.name }),
  }),
  route({
    id: "deleteDomain", method: "DELETE", path: "/api/domains/{name}", cli: "vnvdimm delete",
    summary: deleteCommand.summary,
    input: z.object({ name: domainName, keepData: z.boolean().optional().describe("keep the pages' data, owned by nobody, until reclaim with scrub") }).strict(),
    output: out.deleteOutput,
    run: (i, { state, live, onProgress }) => deleteCommand.run({ state, live, name: i.name, keepData: i.keepData ?? false, ...(onProgress ? { onProgress } : {}) }),
    change: (i) => ({ kind: "domain.deleted", domain: i.name }),
  }),
  route({
    id: "attachVnvdimm", method: "POST", path: "/api/domains/{name}/vnvdimms", cli: "vnvdimm attach",
    summary: attachCommand.summary,
    input: z.object({
      name: domainName,
      spec: z.string().min(1).max(4096).describe("a vnvdimm spec, e.g. 'size=1G, namespace=fsdax:data'"),
      force,
    }).strict(),
    output: out.attachOutput,
    run: (i, { state, live, images }) => attachCommand.run({ state, live, name: i.name, spec: i.spec, force: i.force ?? false, images }),
    status: () => 201,
    statuses: [201],
    change: (i) => ({ kind: "vnvdimm.attached", domain: i.name }),
  }),
  route({
    id: "detachVnvdimm", method: "DELETE", path: "/api/domains/{name}/vnvdimms/{id}", cli: "vnvdimm detach",
    summary: detachCommand.summary,
    input: z.object({ name: domainName, id: z.string().min(1).max(128).describe("vNVDIMM id or slot") }).strict(),
    output: out.detachOutput,
    run: (i, { state, live, onProgress }) => detachCommand.run({ state, live, name: i.name, id: i.id, ...(onProgress ? { onProgress } : {}) }),
    change: (i) => ({ kind: "vnvdimm.detached", domain: i.name }),
  }),
  route({
    id: "guestNamespaces", method: "GET", path: "/api/domains/{name}/namespaces", cli: "vnvdimm guest namespaces",
    summary: guestNamespacesCommand.summary,
    input: z.object({ name: domainName, probe }).strict(),
    output: out.guestNamespacesOutput,
    run: (i, { state, live }) => guestNamespacesCommand.run({ state, live, name: i.name, probe: i.probe ?? false }),
  }),
  route({
    id: "guestArs", method: "GET", path: "/api/domains/{name}/ars", cli: "vnvdimm guest ars",
    summary: guestArsCommand.summary,
    input: z.object({ name: domainName, probe }).strict(),
    output: out.guestArsOutput,
    run: (i, { state, live }) => guestArsCommand.run({ state, live, name: i.name, probe: i.probe ?? false }),
  }),
  route({
    id: "guestRead", method: "GET", path: "/api/domains/{name}/namespaces/{namespace}/data", cli: "vnvdimm guest read",
    summary: guestReadCommand.summary,
    secret: true,
    input: z.object({
      name: domainName, namespace: z.string().min(1).max(128).describe("namespace uuid or name"),
      offset: u64("a byte offset"),
      length: safeInt("a length").refine((n) => n <= MAX_GUEST_IO_BYTES, `at most ${MAX_GUEST_IO_BYTES} bytes per read`),
      probe,
    }).strict(),
    output: out.guestReadOutput,
    run: async (i, { state, live }) => {
      const r = await guestReadCommand.run({ state, live, name: i.name, namespace: i.namespace, offset: i.offset, length: i.length, probe: i.probe ?? false });
      return { length: r.bytes.length, base64: Buffer.from(r.bytes).toString("base64") };
    },
  }),
  route({
    id: "guestWrite", method: "POST", path: "/api/domains/{name}/namespaces/{namespace}/data", cli: "vnvdimm guest write",
    summary: guestWriteCommand.summary,
    maxBodyBytes: Math.ceil(MAX_GUEST_IO_BYTES / 3) * 4 + 4096,
    input: z.object({
      name: domainName, namespace: z.string().min(1).max(128),
      offset: u64("a byte offset"),
      base64: z.string().max(Math.ceil(MAX_GUEST_IO_BYTES / 3) * 4).regex(/^[A-Za-z0-9+/]*={0,2}$/, "expected base64").describe("the bytes, base64"),
    }).strict(),
    output: out.guestWriteOutput,
    run: (i, { state, live }) => guestWriteCommand.run({ state, live, name: i.name, namespace: i.namespace, offset: i.offset, bytes: new Uint8Array(Buffer.from(i.base64, "base64")) }),
    change: (i) => ({ kind: "guest.write", domain: i.name }),
  }),
  route({
    id: "guestExec", method: "POST", path: "/api/domains/{name}/exec", cli: "vnvdimm guest exec",
    summary: guestExecCommand.summary,
    input: z.object({
      name: domainName,
      argv: z.array(z.string().max(4096)).min(1).max(256).describe("the command and its arguments, each one shell word in the guest"),
    }).strict(),
    output: out.guestExecOutput,
    run: async (i, { state }) => {
      const r = await guestExecCommand.run({ state, name: i.name, argv: i.argv });
      return { status: r.status, stdout: Buffer.from(r.stdout).toString("base64"), stderr: Buffer.from(r.stderr).toString("base64") };
    },
  }),
  route({
    id: "reclaim", method: "POST", path: "/api/reclaim", cli: "vnvdimm reclaim",
    summary: reclaimCommand.summary,
    input: z.object({ scrub: z.boolean().optional().describe("also zero and free the extents delete --keep-data kept") }).strict(),
    output: out.reclaimOutput,
    run: (i, { state, live, onProgress }) => reclaimCommand.run({ state, live, scrub: i.scrub ?? false, ...(onProgress ? { onProgress } : {}) }),
    change: () => ({ kind: "reclaim" }),
  }),
] as const;

export type RouteId = (typeof routes)[number]["id"];
export type AnyRoute = Route<z.ZodType, unknown>;

/** Whether a call needs `Authorization: Bearer <token>`. */
export const needsToken = (r: Pick<AnyRoute, "method" | "secret">): boolean => r.method !== "GET" || r.secret === true;
export type RouteById<K extends RouteId> = Extract<(typeof routes)[number], { id: K }>;
export type RouteInput<K extends RouteId> = z.input<RouteById<K>["input"]>;
export type RouteOutput<K extends RouteId> = Awaited<ReturnType<RouteById<K>["run"]>>;

export function routeById<K extends RouteId>(id: K): RouteById<K> {
  return routes.find((r) => r.id === id) as RouteById<K>;
}

export { REGION_TYPES };

/** The first problem zod found, as one line: `spec: expected string`. */
export function describeIssue(error: z.ZodError): string {
  const i = error.issues[0];
  if (!i) return "invalid input";
  const where = i.path.length ? `${i.path.join(".")}: ` : "";
  if (i.code === "unrecognized_keys") return `${where}unknown field${i.keys.length > 1 ? "s" : ""} ${i.keys.join(", ")}`;
  return `${where}${i.message}`;
}

/** Validates a route's input: a UserError (HTTP 400, exit 2) says what is wrong. */
export function parseRouteInput<S extends z.ZodType>(r: Route<S, unknown>, raw: unknown): z.output<S> {
  const p = r.input.safeParse(raw);
  if (!p.success) throw new UserError("usage", `Bad request to ${r.id}: ${describeIssue(p.error)}`, "see docs/api.md or GET /api/openapi.json", 2, "request.invalid");
  return p.data;
}

/** Runs a route in this process: validation, then the command. */
export async function runRoute<S extends z.ZodType, O>(r: Route<S, O>, raw: unknown, ctx: RunContext): Promise<O> {
  return await r.run(parseRouteInput(r, raw), ctx);
}
