// The route table: every verb that touches a host's state, once, with its
// HTTP method, path and summary (from verbs.ts, the light half that a client
// of a daemon needs), the zod schema of its input, and the command object
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
import { hostAddDimmCommand, hostMceCommand, hostStatusCommand, pmemForgetCommand, pmemListCommand, pmemReserveCommand, pmemSetupCommand } from "./host-commands.js";
import {
  MAX_EXEC_STDIN_BYTES, attachCommand, createCommand, deleteCommand, destroyCommand, detachCommand, guestArsCommand, guestExecCommand, guestNamespacesCommand, guestReadCommand, guestWriteCommand,
  listCommand, reclaimCommand, showCommand, startCommand,
} from "./domain-commands.js";
import { pmemMapCommand } from "./pmem-map.js";
import * as out from "./responses.js";
import { DEFAULT_BODY_LIMIT, MAX_GUEST_IO_BYTES, routeMeta, type RouteId, type RouteMeta } from "./verbs.js";

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
  /** Stops the host serving this request, once its answer is out; none when the route runs in a CLI's own process. */
  stopHost?: () => void;
}

/** A route: where it lives and what it is for (verbs.ts), its schemas and its command. */
export interface Route<S extends z.ZodType = z.ZodType, O = unknown, Id extends string = string> extends RouteMeta {
  /** Stable id, also the OpenAPI operationId. */
  id: Id;
  input: S;
  /** The success body as JSON (src/api/responses.ts), for the OpenAPI document and the tests. */
  output?: z.ZodType;
  /** Bytes a request body may have; default DEFAULT_BODY_LIMIT. */
  maxBodyBytes?: number;
  run(input: z.output<S>, ctx: RunContext): O | Promise<O>;
  /** The HTTP status of a success; default 200. */
  status?(output: O): number;
  /** Every status `status` may return, for the OpenAPI document; default [200]. */
  statuses?: readonly number[];
  change?(input: z.output<S>, output: O): ChangeEvent;
}

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
const bootTimeoutS = z.number().int().min(0).max(3600).optional()
  .describe("seconds a qemu guest gets to boot before the call fails and leaves the domain stopped (default 180); 0 answers once QEMU runs, without waiting for the guest");
// A query string carries text; a JSON body a boolean.
const probe = z.union([z.boolean(), z.enum(["true", "false", "1", "0"])]).optional()
  .transform((v) => v === true || v === "true" || v === "1")
  .describe("ask vnvdimm's probe guest instead of a qemu domain's real Linux");
const REGION_TYPES = ["raw", "mgmt", "data"] as const;

export const routes = [
  route({
    ...routeMeta("getHost"),
    input: z.object({
      pmemMgmt: z.enum(["ram", "pmem"]).optional().describe("boot with this pmem_mgmt instead of the host's setting"),
    }).strict(),
    output: out.hostStatusOutput,
    run: (i, { state, live }) => hostStatusCommand.run({ state, live, ...(i.pmemMgmt ? { pmemMgmt: i.pmemMgmt } : {}) }),
  }),
  route({
    ...routeMeta("getPmemMap"),
    input: z.object({}).strict(),
    output: out.pmemMapOutput,
    run: (_i, { state, live }) => pmemMapCommand.run({ state, live }),
  }),
  route({
    ...routeMeta("listPmemRegions"),
    input: z.object({
      types: z.string().regex(/^(raw|mgmt|data)(,(raw|mgmt|data))*$/, "expected a comma-separated list of raw, mgmt, data").optional()
        .describe("which region types (default all)"),
    }).strict(),
    output: out.pmemListOutput,
    run: (i, { state, live }) => pmemListCommand.run({ state, live, types: (i.types?.split(",") ?? []) as RegionType[] }),
  }),
  route({
    ...routeMeta("reservePmem"),
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
    ...routeMeta("forgetReservation"),
    input: z.object({ uuid: z.string().regex(/^[0-9a-fA-F-]{36}$/, "expected a reservation uuid").describe("the lost reservation, as `host status` names it") }).strict(),
    output: out.pmemForgetOutput,
    run: (i, { state }) => pmemForgetCommand.run({ state, uuid: i.uuid }),
    change: () => ({ kind: "pmem.reserved" }),
  }),
  route({
    ...routeMeta("setupPmem"),
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
    ...routeMeta("injectMce"),
    input: z.object({ mfn: safeInt("an MFN").describe("machine frame number (number, or decimal/0x hex text)") }).strict(),
    output: out.hostMceOutput,
    run: (i, { state, live }) => hostMceCommand.run({ state, live, mfn: i.mfn }),
    // The owner's name, so a page showing that domain's guest (its ARS) knows to look again.
    change: (_i, o) => ({ kind: "host.mce", ...(o.domain !== null ? { domain: o.domain } : {}) }),
  }),
  route({
    ...routeMeta("stopHost"),
    input: z.object({}).strict(),
    output: out.stopHostOutput,
    run: (_i, { state, stopHost }) => {
      if (!stopHost) throw new UserError("not-found", `No host runs for ${state}`, "nothing to stop", 1, "host.not-running");
      stopHost();
      return { pid: process.pid, state, stopping: true as const };
    },
    status: () => 202,
    statuses: [202],
  }),
  route({
    ...routeMeta("addHostDimm"),
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
    ...routeMeta("listDomains"),
    input: z.object({}).strict(),
    output: out.listOutput,
    run: (_i, { state, live }) => listCommand.run({ state, live }),
  }),
  route({
    ...routeMeta("showDomain"),
    input: z.object({ name: domainName }).strict(),
    output: out.showOutput,
    run: (i, { state, live }) => showCommand.run({ state, live, name: i.name }),
  }),
  route({
    ...routeMeta("createDomain"),
    input: z.object({
      config: z.string().min(1).max(DEFAULT_BODY_LIMIT / 2).describe("xl-style domain config text"),
      configFile: z.string().max(4096).optional().describe("where the text came from, used only in messages"),
      backend: z.enum(["builtin", "qemu"]).optional().describe("overrides the config's backend = (qemu: a real Linux guest; see `vnvdimm setup qemu`)"),
      force,
      bootTimeoutS,
    }).strict(),
    output: out.createOutput,
    run: (i, { state, live, images }) => createCommand.run({
      state, live, config: i.config, force: i.force ?? false, images, ...(i.configFile ? { configFile: i.configFile } : {}), ...(i.backend ? { backend: i.backend } : {}),
      ...(i.bootTimeoutS !== undefined ? { bootTimeoutS: i.bootTimeoutS } : {}),
    }),
    status: (o) => (o.recreated ? 200 : 201),
    statuses: [201, 200],
    change: (_i, o) => ({ kind: o.recreated ? "domain.started" : "domain.created", domain: o.name }),
  }),
  route({
    ...routeMeta("startDomain"),
    input: z.object({
      name: domainName,
      backend: z.enum(["builtin", "qemu"]).optional().describe("start it with this backend from now on (the same pages either way)"),
      bootTimeoutS,
    }).strict(),
    output: out.createOutput,
    run: (i, { state, live }) => startCommand.run({ state, live, name: i.name, ...(i.backend ? { backend: i.backend } : {}), ...(i.bootTimeoutS !== undefined ? { bootTimeoutS: i.bootTimeoutS } : {}) }),
    change: (i) => ({ kind: "domain.started", domain: i.name }),
  }),
  route({
    ...routeMeta("destroyDomain"),
    input: z.object({ name: domainName }).strict(),
    output: out.destroyOutput,
    run: (i, { state, live }) => destroyCommand.run({ state, live, name: i.name }),
    change: (i) => ({ kind: "domain.destroyed", domain: i.name }),
  }),
  route({
    ...routeMeta("deleteDomain"),
    input: z.object({ name: domainName, keepData: z.boolean().optional().describe("keep the pages' data, owned by nobody, until reclaim with scrub") }).strict(),
    output: out.deleteOutput,
    run: (i, { state, live, onProgress }) => deleteCommand.run({ state, live, name: i.name, keepData: i.keepData ?? false, ...(onProgress ? { onProgress } : {}) }),
    change: (i) => ({ kind: "domain.deleted", domain: i.name }),
  }),
  route({
    ...routeMeta("attachVnvdimm"),
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
    ...routeMeta("detachVnvdimm"),
    input: z.object({ name: domainName, id: z.string().min(1).max(128).describe("vNVDIMM id or slot") }).strict(),
    output: out.detachOutput,
    run: (i, { state, live, onProgress }) => detachCommand.run({ state, live, name: i.name, id: i.id, ...(onProgress ? { onProgress } : {}) }),
    change: (i) => ({ kind: "vnvdimm.detached", domain: i.name }),
  }),
  route({
    ...routeMeta("guestNamespaces"),
    input: z.object({ name: domainName, probe }).strict(),
    output: out.guestNamespacesOutput,
    run: (i, { state, live }) => guestNamespacesCommand.run({ state, live, name: i.name, probe: i.probe ?? false }),
  }),
  route({
    ...routeMeta("guestArs"),
    input: z.object({ name: domainName, probe }).strict(),
    output: out.guestArsOutput,
    run: (i, { state, live }) => guestArsCommand.run({ state, live, name: i.name, probe: i.probe ?? false }),
  }),
  route({
    ...routeMeta("guestRead"),
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
    ...routeMeta("guestWrite"),
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
    ...routeMeta("guestExec"),
    input: z.object({
      name: domainName,
      argv: z.array(z.string().max(4096)).min(1).max(256).describe("the command and its arguments, each one shell word in the guest"),
      timeoutS: z.number().int().min(1).max(86_400).optional().describe("stop the command in the guest after this many seconds (timedOut in the answer)"),
      stdin: z.string().regex(/^[A-Za-z0-9+/]*={0,2}$/, "expected base64").max(Math.ceil(MAX_EXEC_STDIN_BYTES / 3) * 4).optional().describe("base64 bytes given to the command as its stdin"),
    }).strict(),
    output: out.guestExecOutput,
    run: async (i, { state }) => {
      const r = await guestExecCommand.run({
        state, name: i.name, argv: i.argv, ...(i.timeoutS ? { timeoutS: i.timeoutS } : {}), ...(i.stdin !== undefined ? { stdin: Buffer.from(i.stdin, "base64") } : {}),
      });
      return { status: r.status, timedOut: r.timedOut, stdout: Buffer.from(r.stdout).toString("base64"), stderr: Buffer.from(r.stderr).toString("base64") };
    },
  }),
  route({
    ...routeMeta("reclaim"),
    input: z.object({ scrub: z.boolean().optional().describe("also zero and free the extents delete --keep-data kept") }).strict(),
    output: out.reclaimOutput,
    run: (i, { state, live, onProgress }) => reclaimCommand.run({ state, live, scrub: i.scrub ?? false, ...(onProgress ? { onProgress } : {}) }),
    change: () => ({ kind: "reclaim" }),
  }),
] as const;

export type AnyRoute = Route<z.ZodType, unknown>;
// Every route of verbs.ts is in the table: a missing one is a type error here.
const _complete: [Exclude<RouteId, (typeof routes)[number]["id"]>] extends [never] ? true : never = true;
void _complete;
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
