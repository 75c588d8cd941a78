// End to end on the builtin backend, the vnvdimm spec keys and verbs that
// the main e2e file leaves out: attach/detach from the CLI, unarmed=1,
// image=, and the refusal to provision over labels vnvdimm did not write.
import { test } from "node:test";
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { execFileSync, spawn } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { cli, ok } from "../helpers/cli.js";
import { reservedHost } from "../helpers/e2e-host.js";
import { journalPath, listDomains, openGuest, openHostMedia } from "../../src/toolstack/index.js";
import { MEMDEV_FLAG_NOT_ARMED, decodeNfit, nfitStructuresOfKind } from "../../src/formats/index.js";

const host = () => reservedHost({ prefix: "e2e", dimmSize: "512M" });

const sha = (file: string) => createHash("sha256").update(readFileSync(file)).digest("hex");

type Ns = { uuid: string; name: string; mode: string; size: number; dimm: number };

test("attach from the CLI hotplugs a pre-provisioned vNVDIMM into a running domain; detach takes it away and frees its extent", async () => {
  const { dir, state, cfg } = await host();
  await ok("create", cfg("h", `'size=32M, namespace=raw:first'`), "--state", state);
  const attached = JSON.parse(await ok("attach", "h", "size=64M, node=1, namespace=fsdax:hot, labels=v1.1", "--state", state, "--json")) as { extent: { id: string; slot: number; node: number; smfn: number } };
  assert.deepEqual([attached.extent.id, attached.extent.slot, attached.extent.node], ["vnvdimm1", 1, 1]);

  const ns = JSON.parse(await ok("guest", "namespaces", "h", "--state", state, "--json")) as Ns[];
  assert.deepEqual(ns.map((n) => [n.name, n.mode, n.dimm]), [["first", "raw", 0], ["hot", "fsdax", 1]]);
  const p = join(dir, "p.bin");
  writeFileSync(p, "hotplugged");
  await ok("guest", "write", "h", "hot", "0", p, "--state", state);
  assert.equal((await cli("guest", "read", "h", "hot", "0", "10", "--state", state)).out, "hotplugged");

  // The guest's NFIT carries the new DIMM on node 1.
  const g = openGuest(state, "h");
  try {
    const spas = nfitStructuresOfKind(decodeNfit(g.domain.platform.acpi.nfit!).structures, "spa");
    assert.deepEqual(spas.map((s) => s.proximityDomain), [0, 1]);
  } finally { g.close(); }

  // Refusals: an id that is taken, a domain that does not exist.
  const dup = await cli("attach", "h", "size=16M, id=vnvdimm1", "--state", state);
  assert.equal(dup.code, 1);
  assert.match(dup.err, /already has a vNVDIMM vnvdimm1/);
  const missing = await cli("attach", "nope", "size=16M", "--state", state);
  assert.equal(missing.code, 2);
  assert.match(missing.err, /No domain named nope/);

  const d = await cli("detach", "h", "vnvdimm1", "--state", state);
  assert.equal(d.code, 0, d.err);
  assert.match(d.out, /zeroed and are free/);
  assert.ok(extentIsZero(state, attached.extent.smfn, 64 * 256 + 32), "the detached extent holds nothing of the guest's");
  const after = JSON.parse(await ok("guest", "namespaces", "h", "--state", state, "--json")) as Ns[];
  assert.deepEqual(after.map((n) => n.name), ["first"]);
  assert.deepEqual(listDomains(state).domains[0]!.vnvdimms.map((v) => v.id), ["vnvdimm0"]);
  const gone = await cli("detach", "h", "vnvdimm1", "--state", state);
  assert.equal(gone.code, 2);
  assert.match(gone.err, /has no vNVDIMM vnvdimm1/);
});

test("unarmed=1: the NFIT says NOT_ARMED, the guest sees a read-only namespace, and its writes are refused without touching the media", async () => {
  const { dir, state, cfg } = await host();
  await ok("create", cfg("ro", `'size=32M, namespace=raw:rw', 'size=32M, unarmed=1, namespace=raw:ro'`), "--state", state);
  const g = openGuest(state, "ro");
  try {
    const memdevs = nfitStructuresOfKind(decodeNfit(g.domain.platform.acpi.nfit!).structures, "memdev");
    assert.deepEqual(memdevs.map((m) => (m.flags & MEMDEV_FLAG_NOT_ARMED) !== 0), [false, true]);
    assert.deepEqual(g.domain.guest.regions().map((r) => r.readOnly), [false, true]);
  } finally { g.close(); }
  const ns = JSON.parse(await ok("guest", "namespaces", "ro", "--state", state, "--json")) as (Ns & { readOnly: boolean })[];
  assert.deepEqual(ns.map((n) => [n.name, n.readOnly]), [["rw", false], ["ro", true]]);
  assert.match(await ok("guest", "namespaces", "ro", "--state", state), /raw \(ro\)/);

  const p = join(dir, "p.bin");
  writeFileSync(p, "must not land");
  const before = sha(join(state, "host", "nvdimm0.img"));
  const w = await cli("guest", "write", "ro", "ro", "0", p, "--state", state);
  assert.equal(w.code, 1);
  assert.match(w.err, /read-only/);
  assert.doesNotMatch(w.err, /\n\s+at /, "no stack trace");
  assert.equal(sha(join(state, "host", "nvdimm0.img")), before);
  await ok("guest", "write", "ro", "rw", "0", p, "--state", state);
});

test("image= places a filesystem image in the fsdax data area once; a recreate keeps what the guest changed", { skip: hasMkfs() ? false : "mkfs.ext4 not installed (e2fsprogs); scripts/system-deps.sh installs it" }, async () => {
  const { dir, state, cfg } = await host();
  const root = join(dir, "root");
  mkdirSync(root);
  writeFileSync(join(root, "hello.txt"), "hello from the image\n");
  const img = join(dir, "fs.img");
  execFileSync("mkfs.ext4", ["-q", "-F", "-b", "4096", "-d", root, img, "8M"], { env: { ...process.env, E2FSPROGS_FAKE_TIME: "1" } });
  const image = readFileSync(img);

  await ok("create", cfg("im", `'size=64M, namespace=fsdax:fs, image=${img}'`), "--state", state);
  const read = async (off: number, len: number) => {
    const out = join(dir, `r${off}.bin`);
    await ok("guest", "read", "im", "fs", String(off), String(len), "--out", out, "--state", state);
    return readFileSync(out);
  };
  assert.ok((await read(0, image.length)).equals(image), "the guest finds the image at the start of its namespace");
  assert.equal((await read(0x438, 2)).readUInt16LE(0), 0xef53, "ext4 superblock magic where Linux looks");

  // The guest changes a block; destroy + recreate must not place the image again.
  const p = join(dir, "p.bin");
  writeFileSync(p, "guest was here");
  await ok("guest", "write", "im", "fs", String(image.length - 4096), p, "--state", state);
  await ok("destroy", "im", "--state", state);
  await ok("create", cfg("im", `'size=64M, namespace=fsdax:fs, image=${img}'`), "--state", state);
  assert.equal((await read(image.length - 4096, 14)).toString(), "guest was here");

  // An image that does not fit is refused with one line, and nothing is allocated.
  const big = join(dir, "big.img");
  writeFileSync(big, Buffer.alloc(80 << 20, 1));
  const r = await cli("create", cfg("toobig", `'size=64M, namespace=fsdax:fs, image=${big}'`), "--state", state);
  assert.notEqual(r.code, 0);
  assert.equal(r.err.trim().split("\n").length <= 2, true, r.err);
  assert.doesNotMatch(r.err, /\n\s+at /);
  assert.equal(listDomains(state).domains.some((d) => d.name === "toobig" && d.vnvdimms.length > 0), false);
});

/** Whether the host DIMM file holding MFNs [smfn, smfn + nrPages) reads as zeros there. */
function extentIsZero(state: string, smfn: number, nrPages: number): boolean {
  const { media, close } = openHostMedia(state);
  try {
    const w = media(BigInt(smfn) * 4096n, BigInt(nrPages) * 4096n)!;
    for (let off = 0n; off < BigInt(nrPages) * 4096n; off += 1n << 20n) {
      const n = Number(BigInt(nrPages) * 4096n - off < 1n << 20n ? BigInt(nrPages) * 4096n - off : 1n << 20n);
      if (w.media.read(w.offset + off, n).some((b) => b !== 0)) return false;
    }
    return true;
  } finally { close(); }
}

const extentOf = (state: string, name: string) => listDomains(state).domains.find((d) => d.name === name)!.vnvdimms[0]!;

test("delete zeroes every page the domain held; the same config is created again without --force and its guest reads zeros", async () => {
  const { dir, state, cfg } = await host();
  await ok("create", cfg("vm1", `'size=32M, namespace=fsdax:data'`), "--state", state);
  const e = extentOf(state, "vm1");
  const p = join(dir, "secret.bin");
  writeFileSync(p, "vm1's secret");
  await ok("guest", "write", "vm1", "data", "0", p, "--state", state);
  await ok("destroy", "vm1", "--state", state);
  assert.equal(extentIsZero(state, e.smfn, e.nrPages), false, "destroy keeps the data: this is persistent memory");
  const del = await ok("delete", "vm1", "--state", state);
  assert.match(del, /Deleted domain vm1; its [\d.]+ [KMG]iB \(\d+ pages\) were zeroed and are free/);
  assert.ok(extentIsZero(state, e.smfn, e.nrPages), "after delete the old extent reads as zeros, label area included");

  await ok("create", cfg("vm1", `'size=32M, namespace=fsdax:data'`), "--state", state);
  assert.equal(extentOf(state, "vm1").smfn, e.smfn, "the same pages, free again");
  assert.equal((await cli("guest", "read", "vm1", "data", "0", "12", "--state", state)).out, "\0".repeat(12));
});

test("delete --keep-data keeps the pages out of the pool, owned by nobody, until reclaim --scrub", async () => {
  const { dir, state, cfg } = await host();
  await ok("create", cfg("keep", `'size=32M, node=0, namespace=raw:data'`), "--state", state);
  const e = extentOf(state, "keep");
  const p = join(dir, "d.bin");
  writeFileSync(p, "keep me");
  await ok("guest", "write", "keep", "data", "0", p, "--state", state);
  await ok("destroy", "keep", "--state", state);
  assert.match(await ok("delete", "keep", "--keep-data", "--state", state), /keep their data, owned by nobody, until `vnvdimm reclaim --scrub`/);
  assert.equal(extentIsZero(state, e.smfn, e.nrPages), false);
  assert.match(await ok("list", "--state", state), /Kept by delete --keep-data, owned by nobody: keep\/vnvdimm0@0x[0-9a-f]+/);
  // The map never draws kept pages as free.
  const map = JSON.parse(await ok("pmem", "map", "--json", "--state", state)) as { dimms: { segments: { kind: string; smfn: number | null; status?: string; domain?: string }[] }[] };
  const seg = map.dimms.flatMap((m) => m.segments).find((x) => x.smfn === e.smfn);
  assert.deepEqual([seg?.kind, seg?.domain, seg?.status], ["extent", "keep (deleted)", "kept"]);

  await ok("create", cfg("next", `'size=32M, node=0, namespace=raw:data'`), "--state", state);
  assert.notEqual(extentOf(state, "next").smfn, e.smfn, "a kept extent is never handed out");
  assert.match(await ok("reclaim", "--state", state), /Nothing to reclaim/);
  assert.equal(extentIsZero(state, e.smfn, e.nrPages), false, "plain reclaim leaves kept data alone");

  assert.match(await ok("reclaim", "--scrub", "--state", state), /Zeroed and freed [\d.]+ [KMG]iB \(\d+ pages\) at 0x[0-9a-f]+ \(keep\/vnvdimm0\)/);
  assert.ok(extentIsZero(state, e.smfn, e.nrPages));
  assert.deepEqual(listDomains(state).released, []);
});

test("labels someone else left on free pages: refused without --force and nothing written; --force zeroes the old data before provisioning", async () => {
  const { dir, state, cfg } = await host();
  await ok("create", cfg("first", `'size=32M, namespace=fsdax:theirs'`), "--state", state);
  const e = extentOf(state, "first");
  const p = join(dir, "d.bin");
  writeFileSync(p, "their data");
  await ok("guest", "write", "first", "theirs", "0", p, "--state", state);
  // What a real Linux (or an older vnvdimm) would leave behind: the extent's bytes, back on free pages.
  const { media, close } = openHostMedia(state);
  const w = media(BigInt(e.smfn) * 4096n, BigInt(e.nrPages) * 4096n)!;
  const old = w.media.read(w.offset, e.nrPages * 4096);
  close();
  await ok("destroy", "first", "--state", state);
  await ok("delete", "first", "--state", state);
  const back = openHostMedia(state);
  const w2 = back.media(BigInt(e.smfn) * 4096n, BigInt(e.nrPages) * 4096n)!;
  w2.media.write(w2.offset, old);
  w2.media.flush();
  back.close();

  const dimm = join(state, "host", "nvdimm0.img");
  const before = sha(dimm);
  const r = await cli("create", cfg("second", `'size=32M, namespace=raw:mine'`), "--state", state);
  assert.equal(r.code, 1);
  assert.match(r.err, /already holds namespace labels that vnvdimm did not write/);
  assert.match(r.err, /--force/);
  assert.equal(sha(dimm), before, "a refused create writes nothing to the DIMM");
  assert.equal(listDomains(state).orphans.length, 0);

  await ok("create", cfg("second", `'size=32M, namespace=raw:mine'`), "--state", state, "--force");
  assert.equal(extentOf(state, "second").smfn, e.smfn);
  const ns = JSON.parse(await ok("guest", "namespaces", "second", "--state", state, "--json")) as Ns[];
  assert.deepEqual(ns.map((n) => [n.name, n.mode]), [["mine", "raw"]]);
  const seen = (await cli("guest", "read", "second", "mine", "0", String(1 << 20), "--state", state)).out;
  assert.ok(!seen.includes("their data"), "the new domain never reads the old one's data");
});

test("node= must name a node with host pmem (else one line, exit 1, ledger untouched); the guest's proximity domain is where the pages are", async () => {
  const { state, cfg } = await host();
  const ledger = join(state, "toolstack", "ledger.json");
  const ledgerBytes = () => [ledger, journalPath(state)].map((p) => readFileSync(p, "utf8")).join("");
  const r = await cli("create", cfg("far", `'size=32M', 'size=32M, node=5'`), "--state", state);
  assert.equal(r.code, 1, r.err);
  assert.match(r.err, /^vnvdimm: Cannot place vNVDIMM vnvdimm1: node=5, but the host has pmem on nodes 0, 1 only\n {2}hint: .*node=0 or node=1/);
  assert.equal(existsSync(ledger), false, "nothing was allocated: no ledger yet");

  // Node 1 full: node=1 is a preference, so the pages come from node 0, and the guest must be told node 0.
  await ok("create", cfg("near", `'size=500M, node=1', 'size=32M, node=1'`), "--state", state);
  assert.deepEqual(listDomains(state).domains[0]!.vnvdimms.map((v) => v.node), [1, 0]);
  const g = openGuest(state, "near");
  try {
    const spas = nfitStructuresOfKind(decodeNfit(g.domain.platform.acpi.nfit!).structures, "spa");
    assert.deepEqual(spas.map((s) => s.proximityDomain), [1, 0]);
  } finally { g.close(); }

  const before = ledgerBytes();
  const a = await cli("attach", "near", "size=16M, node=7", "--state", state, "--json");
  assert.equal(a.code, 1);
  assert.equal((JSON.parse(a.out) as { reason: string }).reason, "alloc.node");
  assert.equal(ledgerBytes(), before, "a refused attach leaves the ledger (snapshot and journal) as it was");
});

function hasMkfs(): boolean {
  try { execFileSync("mkfs.ext4", ["-V"], { stdio: "ignore" }); return true; } catch { return false; }
}

test("a guest I/O session and a lifecycle change exclude each other: a destroy waits until the session is closed", async () => {
  const { state, cfg } = await host();
  await ok("create", cfg("s", `'size=32M, namespace=raw:d'`), "--state", state);
  const e = extentOf(state, "s");
  const g = openGuest(state, "s");
  const bin = join(import.meta.dirname, "..", "..", "..", "bin", "vnvdimm");
  const child = spawn(process.execPath, [bin, "destroy", "s", "--state", state], { stdio: "ignore" });
  const exited = new Promise<number | null>((r) => child.once("exit", r));
  let done = false;
  void exited.then(() => { done = true; });
  try {
    await new Promise((r) => setTimeout(r, 1500));
    assert.equal(done, false, "destroy waits for the guest session");
    // Still this domain's pages: the write lands in its extent.
    const ns = g.domain.guest.namespace("d")!;
    g.domain.guest.io(ns).write(0n, new TextEncoder().encode("before destroy"));
  } finally { g.close(); }
  assert.equal(await exited, 0);
  assert.equal(extentIsZero(state, e.smfn, e.nrPages), false);
  assert.match(await ok("list", "--state", state), /s\s+-\s+stopped/);
});
