// An honest lifecycle (issue 12 §2): `create` on a stopped domain uses the
// config it is given (memory, vcpus, on_mce) or refuses a vNVDIMM change with
// the difference and the way to apply it; `vnvdimm start` starts a stopped
// domain on its stored config; memory a qemu guest cannot boot in is refused
// before anything is allocated. The builtin backend proves the ledger side;
// qemu-lifecycle.test.ts proves what QEMU is given.
import { before, test } from "node:test";
import assert from "node:assert/strict";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { readLedger } from "../../src/toolstack/index.js";
import { QEMU_GUEST_MIN_MEMORY_MIB } from "../../src/backends/index.js";
import { cli, ok } from "../helpers/cli.js";
import { reservedHost, type E2eHost } from "../helpers/e2e-host.js";

let h: E2eHost;
const st = () => ["--state", h.state];
const DIMMS = `vnvdimms = [ 'size=64M, node=0, namespace=fsdax:data, labels=v1.2', 'id=logs, size=32M, node=1, namespace=sector:logs' ]`;

function config(name: string, body: string): string {
  const p = join(h.dir, `${name}-${Math.random().toString(36).slice(2)}.cfg`);
  writeFileSync(p, `name = "${name}"\n${body}\n`);
  return p;
}

const domain = (name: string) => readLedger(h.state).domains.find((d) => d.name === name);

before(async () => {
  h = await reservedHost({ prefix: "lifecycle", dimmSize: "512M" });
});

test("create on a stopped domain takes the config's memory, vcpus and on_mce, on the same pages", async () => {
  await ok("create", config("vm1", `memory = 512\n${DIMMS}`), ...st());
  const pages = domain("vm1")!.extents.map((e) => [e.id, e.smfn]);
  await ok("destroy", "vm1", ...st());
  const out = await ok("create", config("vm1", `memory = 1024\nvcpus = 2\non_mce = "tell"\n${DIMMS}`), ...st());
  assert.match(out, /^Started domain vm1 .* on the same pages/);
  const d = domain("vm1")!;
  assert.equal(d.memoryMiB, 1024, "the new memory, not the first config's");
  assert.match(d.configText, /vcpus = 2/);
  assert.match(d.configText, /on_mce = "tell"/);
  assert.deepEqual(d.extents.map((e) => [e.id, e.smfn]), pages);
  const list = JSON.parse(await ok("list", "--json", ...st())) as { domains: { name: string; memoryMiB: number }[] };
  assert.equal(list.domains.find((x) => x.name === "vm1")!.memoryMiB, 1024);
  await ok("destroy", "vm1", ...st());
});

test("a vNVDIMM change is refused with the difference and the way to apply it, and changes nothing", async () => {
  const before = JSON.stringify(domain("vm1"));
  const refused: [string, RegExp, RegExp][] = [
    [DIMMS.replace("size=64M", "size=128M"), /its vNVDIMM vnvdimm0 is 'size=67108864, .*', but the config asks for 'size=134217728, /, /vnvdimm delete vm1.*vnvdimm start vm1/],
    [DIMMS.replace("fsdax:data", "devdax:data"), /vnvdimm0 is '.*namespace=fsdax:data.*', but the config asks for '.*namespace=devdax:data/, /vnvdimm delete vm1/],
    [DIMMS.replace(" ]", ", 'id=more, size=32M' ]"), /the config adds vNVDIMM more \(size=33554432/, /vnvdimm attach vm1 'size=33554432/],
    [`vnvdimms = [ 'size=64M, node=0, namespace=fsdax:data, labels=v1.2' ]`, /it holds vNVDIMM logs \(.*\), which the config lacks/, /vnvdimm detach vm1 logs/],
  ];
  for (const [dimms, message, hint] of refused) {
    const r = await cli("create", config("vm1", `memory = 2048\n${dimms}`), ...st());
    assert.equal(r.code, 1, r.err);
    const [line, hintLine] = r.err.trimEnd().split("\n");
    assert.match(line!, /^vnvdimm: Domain vm1 exists, and /);
    assert.match(line!, message);
    assert.match(hintLine!, hint);
    assert.equal(JSON.stringify(domain("vm1")), before, "a refused create leaves the ledger as it was (memory too)");
  }
});

test("vnvdimm start runs a stopped domain on its stored config; a running or unknown one is refused", async () => {
  const held = domain("vm1")!.extents.map((e) => e.smfn);
  const out = await ok("start", "vm1", ...st());
  assert.match(out, /^Started domain vm1 \(domid \d+, backend builtin\) on the same pages/);
  assert.equal(domain("vm1")!.status, "running");
  assert.equal(domain("vm1")!.memoryMiB, 1024, "the config it was last started with");
  assert.deepEqual(domain("vm1")!.extents.map((e) => e.smfn), held);
  const ns = JSON.parse(await ok("guest", "namespaces", "vm1", "--json", ...st())) as { name: string }[];
  assert.deepEqual(ns.map((n) => n.name).sort(), ["data", "logs"]);
  const again = await cli("start", "vm1", ...st());
  assert.equal(again.code, 1);
  assert.match(again.err, /^vnvdimm: Domain vm1 is already running\n {2}hint: stop it first with `vnvdimm destroy vm1`/);
  const none = await cli("start", "nosuch", ...st());
  assert.equal(none.code, 2);
  assert.match(none.err, /No domain named nosuch/);
  await ok("destroy", "vm1", ...st());
});

test(`a qemu domain with less memory than its guest image boots in (${QEMU_GUEST_MIN_MEMORY_MIB} MiB) is refused before anything is allocated`, async () => {
  const before = readLedger(h.state);
  const r = await cli("create", config("tiny", `memory = 128\nbackend = "qemu"\nvnvdimms = [ 'size=32M' ]`), ...st());
  assert.equal(r.code, 2, r.err);
  assert.equal(r.err, `vnvdimm: Domain tiny has memory = 128 (MiB), but a qemu guest needs at least ${QEMU_GUEST_MIN_MEMORY_MIB}: the qemu backend's guest image (below it the guest dies of OOM while it boots)\n  hint: set memory = ${QEMU_GUEST_MIN_MEMORY_MIB} or more in its config\n`);
  assert.equal(domain("tiny"), undefined);
  assert.deepEqual(readLedger(h.state).released, before.released);
  // --backend qemu on a builtin domain's restart is held to the same floor, and so is start.
  await ok("create", config("small", `memory = 64\nvnvdimms = [ 'size=32M' ]`), ...st());
  await ok("destroy", "small", ...st());
  const s = await cli("start", "small", "--backend", "qemu", ...st());
  assert.equal(s.code, 2);
  assert.match(s.err, /Domain small has memory = 64 \(MiB\), but a qemu guest needs at least/);
  assert.equal(domain("small")!.status, "stopped");
  assert.equal(domain("small")!.backend, "builtin");
});
