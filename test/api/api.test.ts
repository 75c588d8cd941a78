// The REST API against a real `vnvdimm up` in a child process: every
// endpoint, the token on every mutation, bad input answered with a 4xx and
// one line, and server-sent events arriving for changes made through the
// API and through the CLI.
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { statSync } from "node:fs";
import { join } from "node:path";
import { needsToken, routes, type AnyRoute } from "../../src/api/index.js";
import { api, getWithHost, listen, runCli, startDemoDaemon, type Daemon } from "./daemon.js";

let d: Daemon;

before(async () => {
  d = (await startDemoDaemon("api")).daemon;
});

after(async () => {
  const r = await d.stop();
  assert.equal(r.code, 0, r.stderr);
});

type Json = Record<string, unknown>;
const body = (r: { body: unknown }) => r.body as Json;

/** An error is a 4xx with one line and the fields the API promises. */
function assertError(r: { status: number; body: unknown; text: string }, status: number, error: string, message?: RegExp): void {
  assert.equal(r.status, status, r.text);
  const b = body(r);
  assert.equal(b["error"], error, r.text);
  assert.equal(typeof b["message"], "string");
  assert.ok(!(b["message"] as string).includes("\n"), "one line");
  assert.ok(!r.text.includes("    at "), "no stack trace");
  if (message) assert.match(b["message"] as string, message);
}

const VM = `name = "vm1"\nmemory = 1024\nvnvdimms = [ 'size=64M, node=0, namespace=fsdax:data' ]\n`;

test("the token file is private, and the URL up printed carries it", () => {
  const st = statSync(join(d.state, "api-token"));
  assert.equal(st.mode & 0o777, 0o600);
  assert.match(d.token, /^[A-Za-z0-9_-]{32}$/);
});

test("GET endpoints answer as the CLI's --json does", async () => {
  const host = await api(d, "GET", "/api/host");
  assert.equal(host.status, 200);
  assert.equal((body(host)["dimms"] as unknown[]).length, 2);
  assert.equal((body(host)["reservations"] as unknown[]).length, 2);

  const domains = await api(d, "GET", "/api/domains");
  assert.equal(domains.status, 200);
  const demo = (body(domains)["domains"] as Json[]).find((x) => x["name"] === "demo");
  assert.equal(demo?.["status"], "running");

  const ns = await api(d, "GET", "/api/domains/demo/namespaces");
  assert.equal(ns.status, 200);
  assert.deepEqual((body(ns)["namespaces"] as Json[]).map((n) => [n["name"], n["mode"]]), [["data", "fsdax"], ["scratch", "raw"]]);

  const regions = await api(d, "GET", "/api/pmem/regions?types=data");
  assert.equal(regions.status, 200);
  assert.deepEqual((body(regions)["regions"] as Json[]).map((r) => r["type"]), ["data", "data"]);

  const map = await api(d, "GET", "/api/pmem/map");
  assert.equal(map.status, 200);
  for (const m of body(map)["dimms"] as Json[]) {
    const segs = m["segments"] as Json[];
    assert.equal(segs[segs.length - 1]!["kind"], "label-area");
    let at = m["smfn"] as number;
    for (const s of segs.slice(0, -1)) { assert.equal(s["smfn"], at); at += s["nrPages"] as number; }
    assert.equal(at, (m["smfn"] as number) + (m["nrPages"] as number), "segments tile the DIMM");
    assert.deepEqual(segs.filter((s) => s["kind"] === "extent").map((s) => s["domain"]), ["demo"]);
  }

  const health = await api(d, "GET", "/api/health");
  assert.equal(body(health)["pid"], d.child.pid);
});

test("the OpenAPI document describes every route, from the same schemas", async () => {
  const r = await api(d, "GET", "/api/openapi.json");
  assert.equal(r.status, 200);
  const doc = body(r) as { openapi: string; paths: Record<string, Record<string, Json>> };
  assert.equal(doc.openapi, "3.1.0");
  for (const route of routes as readonly AnyRoute[]) {
    const op = doc.paths[route.path]?.[route.method.toLowerCase()];
    assert.ok(op, `${route.method} ${route.path}`);
    assert.equal(op["operationId"], route.id);
    if (route.method !== "GET") assert.deepEqual(op["security"], [{ bearer: [] }]);
  }
  const create = doc.paths["/api/domains"]!["post"] as { requestBody: { content: { "application/json": { schema: { required: string[] } } } } };
  assert.deepEqual(create.requestBody.content["application/json"].schema.required, ["config"]);
});

test("every mutating endpoint, and reading a guest's data, refuses a missing or wrong token with 401, and changes nothing", async () => {
  const before = (await api(d, "GET", "/api/domains")).text;
  const mutating = (routes as readonly AnyRoute[]).filter((r) => needsToken(r));
  assert.ok(mutating.some((r) => r.id === "guestRead"), "reading a guest's data needs the token too");
  assert.ok(mutating.length >= 10);
  for (const r of mutating) {
    const path = r.path.replace("{name}", "demo").replace("{id}", "vnvdimm0").replace("{namespace}", "data") + (r.method === "GET" ? "?offset=0&length=16" : "");
    const payload = r.method === "GET" ? undefined : r.id === "createDomain" ? { config: VM } : r.id === "attachVnvdimm" ? { spec: "size=16M" } : {};
    assertError(await api(d, r.method, path, payload), 401, "unauthorized");
    assertError(await api(d, r.method, path, payload, "not-the-token"), 401, "unauthorized");
    assertError(await api(d, r.method, path, payload, undefined, { Authorization: `Basic ${d.token}` }), 401, "unauthorized");
  }
  assert.equal((await api(d, "GET", "/api/domains")).text, before);
});

test("an over-long body gets its 413, never a broken pipe, with or without Content-Length", async () => {
  // The server used to answer as soon as it saw the length and then close: a
  // client still sending got EPIPE (the suite failed now and then on it).
  const big = JSON.stringify({ config: "x".repeat(16 << 20) });
  for (let i = 0; i < 6; i++) assertError(await api(d, "POST", "/api/domains", big, d.token), 413, "too-large");
  for (let i = 0; i < 3; i++) {
    const chunked = new ReadableStream<Uint8Array>({
      start(c) { for (let k = 0; k < 8; k++) c.enqueue(new TextEncoder().encode("x".repeat(1 << 20))); c.close(); },
    });
    const res = await fetch(new URL("api/domains", d.url), {
      method: "POST", headers: { "Content-Type": "application/json", Authorization: `Bearer ${d.token}` }, body: chunked, duplex: "half",
    } as RequestInit);
    assert.equal(res.status, 413);
    assert.equal(((await res.json()) as Json)["error"], "too-large");
  }
  // And the daemon still answers afterwards.
  assert.equal((await api(d, "GET", "/api/health")).status, 200);
});

test("bad input: a 4xx with one line that says what is wrong", async () => {
  const t = d.token;
  assertError(await api(d, "POST", "/api/domains", {}, t), 400, "usage", /config: /);
  assertError(await api(d, "POST", "/api/domains", { config: VM, colour: "red" }, t), 400, "usage", /unknown field colour/);
  assertError(await api(d, "POST", "/api/domains", { config: 42 }, t), 400, "usage", /config: .*string/);
  assertError(await api(d, "POST", "/api/domains", "{ not json", t), 400, "usage", /not valid JSON/);
  assertError(await api(d, "POST", "/api/domains", "[1,2]", t), 400, "usage", /must be a JSON object/);
  assertError(await api(d, "POST", "/api/domains", JSON.stringify({ config: VM }), t, { "Content-Type": "text/plain" }), 415, "unsupported-media-type");
  assertError(await api(d, "POST", "/api/domains", { config: "name = \"x\"\nmemroy = 5\n" }, t), 422, "invalid-config", /<config>:2/);
  assertError(await api(d, "POST", "/api/domains", { config: "x".repeat(2 << 20) }, t), 413, "too-large");
  assertError(await api(d, "POST", "/api/host/mce", { mfn: "lots" }, t), 400, "usage", /mfn: expected an MFN/);
  assertError(await api(d, "POST", "/api/host/mce", { mfn: -1 }, t), 400, "usage");
  assertError(await api(d, "POST", "/api/pmem/reserve", { dimm: 0, namespace: "x" }, t), 400, "usage", /exactly one of namespace or dimm/);
  assertError(await api(d, "POST", "/api/domains/demo/vnvdimms", { spec: "size=lots" }, t), 422, "invalid-config", /size/);
  assertError(await api(d, "POST", "/api/domains/demo/vnvdimms", { name: "other", spec: "size=16M" }, t), 400, "usage", /name is given in both/);
  assertError(await api(d, "GET", "/api/domains/demo/namespaces/data/data?offset=0&length=999999999", undefined, t), 400, "usage", /length/);
  assertError(await api(d, "GET", "/api/domains/demo/namespaces/data/data?offset=0&offset=1&length=1", undefined, t), 400, "usage", /twice/);
  assertError(await api(d, "GET", "/api/domains?x=1"), 400, "usage", /unknown field x/);
  assertError(await api(d, "POST", "/api/domains/nosuch/destroy", undefined, t), 404, "not-found", /No domain named nosuch/);
  assertError(await api(d, "GET", "/api/domains/nosuch"), 404, "not-found", /No domain named nosuch/);
  assertError(await api(d, "GET", "/api/nope"), 404, "not-found");
  const wrongMethod = await api(d, "PUT", "/api/domains", {}, t);
  assertError(wrongMethod, 405, "method-not-allowed");
  assert.equal(wrongMethod.status, 405);
  // DNS rebinding: a page on another name that resolves to 127.0.0.1.
  assertError(await getWithHost(d, "/api/domains", "attacker.example:7070"), 403, "forbidden");
  assert.equal((await getWithHost(d, "/api/domains", "localhost:7070")).status, 200);
});

test("each mutation works end to end, with its refusals (409) and data kept across destroy and recreate", async () => {
  const t = d.token;
  const created = await api(d, "POST", "/api/domains", { config: VM, configFile: "vm1.cfg" }, t);
  assert.equal(created.status, 201, created.text);
  assert.equal(body(created)["recreated"], false);
  const again = await api(d, "POST", "/api/domains", { config: VM }, t);
  assertError(again, 409, "conflict", /already running/);
  assert.equal(body(again)["reason"], "domain.exists");

  const attached = await api(d, "POST", "/api/domains/vm1/vnvdimms", { spec: "size=32M, node=1, namespace=raw:scratch" }, t);
  assert.equal(attached.status, 201, attached.text);
  assert.equal((body(attached)["extent"] as Json)["id"], "vnvdimm1");
  const ns = await api(d, "GET", "/api/domains/vm1/namespaces");
  assert.deepEqual((body(ns)["namespaces"] as Json[]).map((n) => n["name"]), ["data", "scratch"]);

  const hello = Buffer.from("hello from the API");
  const wrote = await api(d, "POST", "/api/domains/vm1/namespaces/data/data", { offset: "0x1000", base64: hello.toString("base64") }, t);
  assert.equal(wrote.status, 200, wrote.text);
  assert.equal(body(wrote)["written"], hello.length);

  const del = await api(d, "DELETE", "/api/domains/vm1", undefined, t);
  assertError(del, 409, "conflict", /is running/);
  assert.equal(body(del)["reason"], "domain.running");

  const detached = await api(d, "DELETE", "/api/domains/vm1/vnvdimms/vnvdimm1", undefined, t);
  assert.equal(detached.status, 200, detached.text);
  assertError(await api(d, "DELETE", "/api/domains/vm1/vnvdimms/vnvdimm1", undefined, t), 404, "not-found");

  // A machine check on a page of vm1's extent: the picture shows it broken.
  const extent = ((body(await api(d, "GET", "/api/domains"))["domains"] as Json[]).find((x) => x["name"] === "vm1")!["vnvdimms"] as Json[])[0]!;
  const bad = (extent["smfn"] as number) + 100;
  const mce = await api(d, "POST", "/api/host/mce", { mfn: `0x${bad.toString(16)}` }, t);
  assert.equal(mce.status, 200, mce.text);
  const map = body(await api(d, "GET", "/api/pmem/map"))["dimms"] as { broken: { mfn: number }[] }[];
  assert.ok(map.some((m) => m.broken.some((b) => b.mfn === bad)));
  assertError(await api(d, "POST", "/api/host/mce", { mfn: 5 }, t), 400, "invalid-input", /mce refused/);

  assert.equal((await api(d, "POST", "/api/domains/vm1/destroy", undefined, t)).status, 200);
  assertError(await api(d, "POST", "/api/domains/vm1/destroy", undefined, t), 409, "conflict", /not running/);
  const restarted = await api(d, "POST", "/api/domains", { config: VM }, t);
  assert.equal(restarted.status, 200, restarted.text);
  assert.equal(body(restarted)["recreated"], true);
  // The dashboard's Start: the stored config, nothing to send; a changed vNVDIMM through create is a conflict that names it.
  assert.equal((await api(d, "POST", "/api/domains/vm1/destroy", undefined, t)).status, 200);
  assertError(await api(d, "POST", "/api/domains", { config: VM.replace(/size=\d+M/, "size=256M") }, t), 409, "conflict", /its vNVDIMM vnvdimm0 is '.*', but the config asks for 'size=268435456/);
  const started = await api(d, "POST", "/api/domains/vm1/start", {}, t);
  assert.equal(started.status, 200, started.text);
  assert.equal(body(started)["recreated"], true);
  assertError(await api(d, "POST", "/api/domains/vm1/start", {}, t), 409, "conflict", /already running/);
  assertError(await api(d, "POST", "/api/domains/nosuch/start", {}, t), 404, "not-found", /No domain named nosuch/);
  const read = await api(d, "GET", `/api/domains/vm1/namespaces/data/data?offset=4096&length=${hello.length}`, undefined, t);
  assert.equal(read.status, 200, read.text);
  assert.equal(Buffer.from(body(read)["base64"] as string, "base64").toString(), hello.toString());

  assert.equal((await api(d, "POST", "/api/domains/vm1/destroy", undefined, t)).status, 200);
  const deleted = await api(d, "DELETE", "/api/domains/vm1", undefined, t);
  assert.equal(deleted.status, 200, deleted.text);
  assert.equal((body(deleted)["releasedExtents"] as unknown[]).length, 1);
  const reclaim = await api(d, "POST", "/api/reclaim", undefined, t);
  assert.equal(reclaim.status, 200);
  assert.deepEqual(body(reclaim)["reclaimed"], []);

  const reserve = await api(d, "POST", "/api/pmem/reserve", { dimm: 0 }, t);
  assert.equal(reserve.status, 200, reserve.text);
  assert.equal(body(reserve)["alreadyReserved"], true);
  assertError(await api(d, "POST", "/api/pmem/setup", { type: "mgmt", smfn: 1, emfn: 2 }, t), 409, "conflict", /pmem setup refused/);
});

test("server-sent events: hello, progress with the caller's operation id, and change after every mutation, from the API and from the CLI", async () => {
  const sse = await listen(d);
  try {
    await sse.waitFor((e) => e.event === "hello");
    const cfg = `name = "ev"\nmemory = 512\nvnvdimms = [ 'size=16M' ]\n`;
    const r = await api(d, "POST", "/api/domains", { config: cfg }, d.token, { "X-Operation-Id": "op-7" });
    assert.equal(r.status, 201, r.text);
    await sse.waitFor((e) => e.event === "progress" && e.data["op"] === "op-7" && e.data["done"] === 0);
    await sse.waitFor((e) => e.event === "progress" && e.data["op"] === "op-7" && e.data["done"] === e.data["total"]);
    const change = await sse.waitFor((e) => e.event === "change" && e.data["kind"] === "domain.created");
    assert.deepEqual(change.data, { kind: "domain.created", domain: "ev", op: "op-7" });
    // A refused call changes nothing and says nothing.
    const n = sse.events.filter((e) => e.event === "change").length;
    assert.equal((await api(d, "POST", "/api/domains", { config: cfg }, d.token)).status, 409);

    // The CLI, pointed at the same state, goes through the daemon: its change shows up here.
    const cli = await runCli(["destroy", "ev", "--state", d.state, "--json"]);
    assert.equal(cli.code, 0, cli.err);
    await sse.waitFor((e) => e.event === "change" && e.data["kind"] === "domain.destroyed" && e.data["domain"] === "ev");
    assert.equal(sse.events.filter((e) => e.event === "change").length, n + 1);
    const gone = await runCli(["delete", "ev", "--state", d.state]);
    assert.equal(gone.code, 0, gone.err);
    await sse.waitFor((e) => e.event === "change" && e.data["kind"] === "domain.deleted");
  } finally {
    sse.close();
  }
});
