// The living host: with `vnvdimm up` serving a state directory, the CLI's
// verbs reach one hypervisor and one running probe guest per builtin domain
// that stay up between commands. Attach hotplugs into the running guest (it
// re-reads the FIT after Notify 0x80), detach is the unplug handshake, an
// MCE reaches the owner's running guest (Notify 0x81, ARS), the pages of
// running domains count as owned, and `pmem setup-mgmt` then `setup-data`
// work as two commands.
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { runCli, smallSpecFile, startDaemon, tempDir, type Daemon } from "./daemon.js";
import { destroyDomain, openHostMedia } from "../../src/toolstack/index.js";

let d: Daemon;
let dir: string;

before(async () => {
  dir = tempDir("live");
  const state = join(dir, "state");
  for (const args of [["host", "init", "--spec", smallSpecFile(dir)], ["pmem", "reserve", "--dimm", "0"]]) {
    const r = await runCli([...args, "--state", state]);
    assert.equal(r.code, 0, r.err);
  }
  d = await startDaemon(state);
});

after(async () => {
  const r = await d.stop();
  assert.equal(r.code, 0, r.stderr);
});

type Json = Record<string, unknown>;

async function vnv(...args: string[]): Promise<string> {
  const r = await runCli([...args, "--state", d.state]);
  assert.equal(r.code, 0, `${args.join(" ")}: ${r.err}`);
  return r.out;
}
const json = async (...args: string[]) => JSON.parse(await vnv(...args, "--json")) as Json;
// `guest namespaces` and `pmem list` print bare arrays with --json.
const jsonArray = async (...args: string[]) => JSON.parse(await vnv(...args, "--json")) as Json[];

test("attach hotplugs into the running guest, which re-reads its FIT; MCE and ARS reach it; detach is the unplug handshake", async () => {
  const cfg = join(dir, "vm.cfg");
  writeFileSync(cfg, `name = "vm"\nmemory = 512\nvnvdimms = [ 'size=32M, node=0, namespace=raw:first' ]\n`);
  await vnv("create", cfg);
  assert.deepEqual((await jsonArray("guest", "namespaces", "vm")).map((n) => n["name"]), ["first"]);

  const attached = await json("attach", "vm", "size=32M, node=0, namespace=fsdax:hot");
  assert.equal(attached["hotplugged"], true, "the running guest was told");
  const ext = attached["extent"] as { smfn: number; nrPages: number; nrLabelPages: number };
  assert.deepEqual((await jsonArray("guest", "namespaces", "vm")).map((n) => n["name"]), ["first", "hot"]);
  // The same running guest handled the notification: its driver's history survives between commands.
  assert.deepEqual(((await json("guest", "ars", "vm"))["events"] as Json[]).map((e) => e["kind"]), ["fit-changed"]);

  const p = join(dir, "p.bin");
  writeFileSync(p, "hotplugged and live");
  await vnv("guest", "write", "vm", "hot", "0", p);
  assert.equal(await vnv("guest", "read", "vm", "hot", "0", "19"), "hotplugged and live");

  // Running domains' pages count as owned.
  const data = (await jsonArray("pmem", "list", "--data"));
  assert.ok(data.reduce((n, r) => n + (r["ownedPages"] as number), 0) >= 2 * 8224, "both extents are owned");

  // A machine check on a page of the hotplugged extent: the owner is named, its running guest scrubs.
  const mce = await json("host", "mce", String(ext.smfn + 20));
  assert.equal(mce["domain"], "vm");
  assert.equal(mce["guestTold"], true);
  const ars = await json("guest", "ars", "vm");
  assert.equal((ars["records"] as Json[]).length, 1);
  assert.deepEqual((ars["events"] as Json[]).map((e) => [e["kind"], e["records"]]), [["fit-changed", 0], ["uncorrectable-error", 1]]);
  assert.match(await vnv("guest", "ars", "vm"), /told of 1 uncorrectable error/);

  // Detach: the guest lets it go, the slot is ejected, the pages leave the domain and are zeroed.
  await vnv("detach", "vm", "vnvdimm1");
  assert.deepEqual((await jsonArray("guest", "namespaces", "vm")).map((n) => n["name"]), ["first"]);
  assert.deepEqual(((await json("guest", "ars", "vm"))["events"] as Json[]).map((e) => e["kind"]), ["fit-changed", "uncorrectable-error", "fit-changed"]);
  const { media, close } = openHostMedia(d.state);
  try {
    const w = media(BigInt(ext.smfn) * 4096n, BigInt(ext.nrPages) * 4096n)!;
    assert.ok(!w.media.read(w.offset, ext.nrPages * 4096).some((b) => b !== 0), "the detached extent was zeroed");
  } finally { close(); }
  // The page that took the MCE left the P2M with the rest: a new vNVDIMM in the same window maps cleanly.
  const again = await json("attach", "vm", "size=32M, node=0, namespace=raw:again");
  assert.equal(again["hotplugged"], true, "re-attached where the broken extent was");
  assert.deepEqual((await jsonArray("guest", "namespaces", "vm")).map((n) => n["name"]), ["first", "again"]);
  await vnv("destroy", "vm");
  await vnv("delete", "vm");
});

test("pmem setup-mgmt then setup-data, as two commands, last while the host runs", async () => {
  const raw = (await jsonArray("pmem", "list", "--raw") as { smfn: number; emfn: number }[]);
  const dimm1 = raw[1]!;
  const mgmt = [dimm1.smfn, dimm1.smfn + 0x200];
  const dataRange = [dimm1.smfn + 0x400, dimm1.smfn + 0x8400];
  await vnv("pmem", "setup-mgmt", String(mgmt[0]), String(mgmt[1]));
  const r = await json("pmem", "setup-data", String(dataRange[0]), String(dataRange[1]), String(mgmt[0]), String(mgmt[1]));
  assert.equal((r["region"] as Json)["type"], "data");
  const regions = (await jsonArray("pmem", "list", "--data")).map((x) => x["smfn"]);
  assert.ok(regions.includes(dataRange[0]), "the new data region is still there for the next command");
});

test("host add-dimm hotplugs an NVDIMM into the running host: dom0 reports it, it can be reserved and used at once", async () => {
  const before = await jsonArray("pmem", "list", "--raw");
  const added = await json("host", "add-dimm", "--node", "1", "--size", "1G");
  assert.equal(added["hotplugged"], true);
  assert.equal(added["index"], 2);
  const raw = await jsonArray("pmem", "list", "--raw");
  assert.equal(raw.length, before.length + 1, "the hypervisor knows the new raw range without a reboot");
  const spa = BigInt(added["spa"] as number);
  const smfn = Number(spa / 4096n);
  assert.deepEqual(raw.map((r) => r["smfn"]).filter((m) => m === smfn), [smfn]);
  await vnv("pmem", "reserve", "--dimm", "2", "--mgmt", "ram");
  const data = (await jsonArray("pmem", "list", "--data")).find((r) => (r["smfn"] as number) >= smfn);
  assert.ok(data, "the new reservation is set up in the running hypervisor");
  const cfg = join(dir, "hot.cfg");
  writeFileSync(cfg, `name = "hot"\nmemory = 256\nvnvdimms = [ 'type=mfn, backend=${data["smfn"] as number}, nr_pages=8224, nr_label_pages=32' ]\n`);
  await vnv("create", cfg);
  const hot = ((await json("list"))["domains"] as Json[]).find((x) => x["name"] === "hot")!;
  assert.deepEqual((hot["vnvdimms"] as Json[]).map((v) => v["smfn"]), [data["smfn"]], "placed on the hotplugged DIMM");
  assert.equal((await jsonArray("guest", "namespaces", "hot")).length, 1, "its guest sees the label-less namespace");
  // What the running host knows is what a fresh boot finds.
  const r = await runCli(["host", "status", "--json", "--state", d.state], { VNVDIMM_STATE: "" });
  assert.equal(r.code, 0, r.err);
  assert.equal((JSON.parse(r.out) as { dimms: unknown[] }).dimms.length, 3);
});

test("a ledger change made behind the daemon's back is seen before its next answer", async () => {
  // `hot` runs (the test above). A process that missed daemon.json stops it directly.
  assert.equal(((await json("list"))["domains"] as Json[]).find((x) => x["name"] === "hot")?.["status"], "running");
  destroyDomain(d.state, "hot");
  const hot = ((await json("list"))["domains"] as Json[]).find((x) => x["name"] === "hot")!;
  assert.deepEqual([hot["status"], hot["domid"]], ["stopped", null], "the living host destroyed it too");
  // No domain runs now, so the living hypervisor owns no page.
  assert.equal((await jsonArray("pmem", "list", "--data")).reduce((n, r) => n + (r["ownedPages"] as number), 0), 0);
  await vnv("delete", "hot");
});
