// Every route's success body, as a real `vnvdimm up` sends it, against the
// route's output schema (src/api/responses.ts) — the one the OpenAPI
// document publishes. Bodies are parsed with parseJsonExact, as the CLI's
// client does, so a u64 arrives as a number or, past 2^53, a bigint.
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { z } from "zod";
import { describeIssue, parseJsonExact, routes, type AnyRoute, type RouteId } from "../../src/api/index.js";
import { u64 } from "../../src/api/responses.js";
import { api, startDemoDaemon, type Daemon } from "./daemon.js";

let d: Daemon;

before(async () => {
  d = (await startDemoDaemon("openapi")).daemon;
});

after(async () => {
  const r = await d.stop();
  assert.equal(r.code, 0, r.stderr);
});

const byId = (id: RouteId): AnyRoute => (routes as readonly AnyRoute[]).find((r) => r.id === id)!;
const checked = new Set<RouteId>();

/** Calls a route and checks its status and body against the route's own schemas. */
async function call(id: RouteId, path: string, body?: unknown): Promise<Record<string, unknown>> {
  const r = byId(id);
  const res = await api(d, r.method, path, body, r.method === "GET" && !r.secret ? undefined : d.token);
  assert.ok((r.statuses ?? [200]).includes(res.status), `${id}: ${res.status} ${res.text}`);
  assert.ok(r.output, `${id} has an output schema`);
  const parsed = r.output.safeParse(parseJsonExact(res.text));
  assert.ok(parsed.success, `${id}: ${parsed.success ? "" : describeIssue(parsed.error)} in ${res.text}`);
  checked.add(id);
  return parsed.data as Record<string, unknown>;
}

test("u64 is an integer in the JSON Schema, and takes what the wire gives", () => {
  assert.deepEqual(z.toJSONSchema(u64, { io: "output", unrepresentable: "any" }), {
    $schema: "https://json-schema.org/draft/2020-12/schema", type: "integer", minimum: 0, description: "u64, an exact JSON integer",
  });
  for (const ok of [0, 4096, 2n ** 63n]) assert.ok(u64.safeParse(ok).success, String(ok));
  for (const bad of [-1, 1.5, "7", null, 2 ** 60]) assert.ok(!u64.safeParse(bad).success, String(bad));
});

test("every success response matches its route's output schema", async () => {
  const VM = `name = "vm1"\nmemory = 1024\nvnvdimms = [ 'size=64M, node=0, namespace=fsdax:data' ]\n`;
  await call("getHost", "/api/host");
  await call("getPmemMap", "/api/pmem/map");
  await call("listPmemRegions", "/api/pmem/regions");
  await call("reservePmem", "/api/pmem/reserve", { dimm: 0 });
  await call("createDomain", "/api/domains", { config: VM });
  await call("attachVnvdimm", "/api/domains/vm1/vnvdimms", { spec: "size=32M, node=1, namespace=raw:scratch" });
  await call("guestNamespaces", "/api/domains/vm1/namespaces");
  await call("guestWrite", "/api/domains/vm1/namespaces/data/data", { offset: 4096, base64: Buffer.from("hello").toString("base64") });
  await call("guestRead", "/api/domains/vm1/namespaces/data/data?offset=4096&length=5");
  const list = await call("listDomains", "/api/domains");
  const shown = await call("showDomain", "/api/domains/vm1");
  assert.equal(shown["config"], VM, "the config as stored");
  assert.deepEqual((shown["vnvdimms"] as { id: string }[]).map((v) => v.id), ["vnvdimm0", "vnvdimm1"], "the attach since create shows");
  await call("detachVnvdimm", "/api/domains/vm1/vnvdimms/vnvdimm1");
  const vm1 = (list["domains"] as { name: string; vnvdimms: { smfn: number }[] }[]).find((x) => x.name === "vm1")!;
  await call("injectMce", "/api/host/mce", { mfn: vm1.vnvdimms[0]!.smfn + 100 });
  await call("getPmemMap", "/api/pmem/map"); // now with a broken page
  const ars = await call("guestArs", "/api/domains/vm1/ars");
  assert.equal((ars["records"] as unknown[]).length, 1, "the running guest's scrub finds the broken page");
  await call("destroyDomain", "/api/domains/vm1/destroy");
  await call("createDomain", "/api/domains", { config: VM }); // recreated: 200
  await call("destroyDomain", "/api/domains/vm1/destroy");
  await call("startDomain", "/api/domains/vm1/start");
  await call("destroyDomain", "/api/domains/vm1/destroy");
  await call("deleteDomain", "/api/domains/vm1");
  await call("reclaim", "/api/reclaim");
  const added = await call("addHostDimm", "/api/host/dimms", { node: 0, size: "1G" });
  assert.equal(added["hotplugged"], true);
  // setupPmem only succeeds on a range nothing has set up, which a booted host does not have; guestExec needs a qemu guest;
  // forgetReservation needs a reservation lost before the host booted (test/toolstack/lost-reservations.test.ts);
  // stopHost stops the host, so it comes last, below.
  const untested = (routes as readonly AnyRoute[]).map((r) => r.id as RouteId).filter((id) => !checked.has(id));
  assert.deepEqual(untested, ["forgetReservation", "setupPmem", "stopHost", "guestExec"]);
});

test("the OpenAPI document publishes each output schema under every success status", async () => {
  const doc = (await api(d, "GET", "/api/openapi.json")).body as { paths: Record<string, Record<string, { responses: Record<string, { content?: Record<string, { schema: unknown }> }> }>> };
  for (const r of routes as readonly AnyRoute[]) {
    const op = doc.paths[r.path]![r.method.toLowerCase()]!;
    const { $schema: _drop, ...want } = z.toJSONSchema(r.output!, { io: "output", unrepresentable: "any" });
    for (const s of r.statuses ?? [200]) assert.deepEqual(op.responses[String(s)]!.content!["application/json"]!.schema, want, `${r.id} ${s}`);
  }
  const map = doc.paths["/api/pmem/map"]!["get"]!.responses["200"]!.content!["application/json"]!.schema as { properties: { dimms: { items: { properties: Record<string, unknown> } } } };
  assert.equal((map.properties.dimms.items.properties["spa"] as { type: string }).type, "integer");
});

test("host stop answers 202 with its schema, then the host exits cleanly", async () => {
  const r = await call("stopHost", "/api/host/stop", {});
  assert.equal(r["pid"], d.child.pid);
  assert.equal((await d.exited).code, 0);
});
