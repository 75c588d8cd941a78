// Bad input that used to reach the user as "internal error" (exit 70) or never
// end: each case must now exit 1 or 2 with one line (and a hint), within a
// bound. The cases that used to hang run the CLI in a child process with a
// timeout, so that a regression fails instead of hanging the suite.
import { before, test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { chmodSync, chownSync, lstatSync, mkdtempSync, readdirSync, readFileSync, truncateSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { decodeNfit, encodeNfit, type NfitStructure } from "../../src/formats/index.js";
import { BIN } from "../api/daemon.js";
import { cli, ok, type CliResult } from "../helpers/cli.js";
import { CASES, FIXTURES } from "../helpers/fixtures.js";

const tmp = mkdtempSync(join(tmpdir(), "vnvdimm-bad-input-"));
const SMALL = { name: "t", sockets: [{ node: 0, ram: "1G" }, { node: 1, ram: "1G" }], nvdimms: [{ node: 0, size: "256M" }, { node: 1, size: "256M" }] };
/** 4 GiB DIMMs (sparse): room for a 2 GiB label area, so the config check is what refuses it. */
const LARGE = { ...SMALL, nvdimms: [{ node: 0, size: "4G" }, { node: 1, size: "4G" }] };
const vm = (name: string, spec: string) => `name = "${name}"\nmemory = 1024\nvnvdimms = [ '${spec}' ]\n`;

function file(name: string, text: string | Uint8Array): string {
  const p = join(tmp, name);
  writeFileSync(p, text);
  return p;
}

/** One line of error, a hint line at most, and no stack trace. */
function assertOneLine(r: CliResult, what: string, message: RegExp): void {
  assert.ok(r.code === 1 || r.code === 2, `${what}: exit ${r.code} (want 1 or 2): ${r.err}`);
  assert.match(r.err, /^vnvdimm: [^\n]+\n( {2}hint: [^\n]+\n)?$/, `${what}: ${r.err}`);
  assert.doesNotMatch(r.err, /internal error|\n\s+at /, what);
  assert.match(r.err, message, what);
}

/** The CLI in a child process, killed after `timeoutMs`: a case that never ends fails here instead of hanging. */
function spawnCli(args: string[], o: { timeoutMs?: number; uid?: number; gid?: number } = {}): CliResult {
  const r = spawnSync(process.execPath, [BIN, ...args], {
    encoding: "utf8", timeout: o.timeoutMs ?? 30_000, stdio: ["ignore", "pipe", "pipe"],
    ...(o.uid !== undefined ? { uid: o.uid, gid: o.gid! } : {}),
  });
  assert.notEqual(r.status, null, `vnvdimm ${args.join(" ")} did not end within its bound (killed by ${r.signal}): ${r.stderr}`);
  return { code: r.status!, out: r.stdout, err: r.stderr };
}

async function host(name: string, spec: object, reserve: string[][]): Promise<string> {
  const state = join(tmp, name);
  await ok("host", "init", "--state", state, "--spec", file(`${name}.json`, JSON.stringify(spec)));
  for (const args of reserve) await ok("pmem", "reserve", ...args, "--state", state);
  return state;
}

let small: string;
before(async () => {
  small = await host("small", SMALL, [["--dimm", "0"]]);
  await ok("create", file("vm1.cfg", vm("vm1", "size=64M, namespace=fsdax:data")), "--state", small);
});

test("in-process cases: exit 1 or 2 with one line, never 70", async (t) => {
  const large = await host("large", LARGE, [["--dimm", "0", "--mgmt", "ram"]]);
  const regular = file("a-file", "not a directory\n");
  const garbage = await host("garbage", SMALL, []);
  writeFileSync(join(garbage, "host", "badblocks.json"), "garbage{");
  const badBoot = await host("bad-boot", SMALL, []);
  writeFileSync(join(badBoot, "host", "boot.json"), JSON.stringify({ pmemMgmt: "disk" }));
  // A 9 GiB sparse backing file: large enough that a label size of 8G passes the size check.
  const huge = join(tmp, "huge.img");
  writeFileSync(huge, "");
  truncateSync(huge, 9 * 2 ** 30);
  // The fixture NFIT with its memdev naming control region 99, which does not exist.
  const s3 = new Uint8Array(readFileSync(join(FIXTURES, CASES.S3, "acpi", "NFIT.bin")));
  const d = decodeNfit(s3);
  const nfit = file("no-dcr.nfit", encodeNfit({ header: d.header!, structures: d.structures.map((s): NfitStructure => (s.kind === "memdev" ? { ...s, controlRegionIndex: 99 } : s)) }));
  const labels = join(FIXTURES, CASES.S2, "dimm0.label-area.bin");

  const cases: [string, string[], RegExp][] = [
    ["label_size 2G", ["create", file("big-labels.cfg", vm("big", "size=16M, label_size=2G, namespace=raw")), "--state", large], /label_size "2G" is not below 2G/],
    ["label_size 3G on attach", ["attach", "vm1", "size=16M, label_size=3G", "--state", small], /label_size "3G" is not below 2G/],
    ["nr_label_pages 2G", ["attach", "vm1", "type=mfn, backend=0x1, nr_pages=600000, nr_label_pages=524288", "--state", small], /nr_label_pages "524288" is not below 524288/],
    ["--state a regular file: host init", ["host", "init", "--state", regular], /a-file is not a directory/],
    ["--state a regular file: create", ["create", join(tmp, "vm1.cfg"), "--state", regular], /a-file is not a directory/],
    ["--state a regular file: list", ["list", "--state", regular], /a-file is not a directory/],
    ["--state /dev/null: host init", ["host", "init", "--state", "/dev/null"], /\/dev\/null is not a directory/],
    ["--state /dev/null: attach", ["attach", "vm1", "size=16M", "--state", "/dev/null"], /\/dev\/null is not a directory/],
    ["garbage host/badblocks.json", ["list", "--state", garbage], /badblocks\.json: not JSON/],
    ["garbage host/badblocks.json: mce", ["host", "mce", "0x140000", "--state", garbage], /badblocks\.json: not JSON/],
    ["bad host/boot.json", ["host", "status", "--state", badBoot], /boot\.json: pmemMgmt/],
    ["inspect labels --label-size 8G", ["inspect", "labels", huge, "--label-size", "8G"], /--label-size 8589934592 is not below 2 GiB/],
    ["inspect labels --label-area on 9 GiB", ["inspect", "labels", huge, "--label-area"], /is not below 2 GiB/],
    ["inspect labels --nfit naming a missing control region", ["inspect", "labels", labels, "--label-area", "--nfit", nfit], /Cannot use NFIT .*control region 99/],
  ];
  for (const [what, argv, message] of cases) await t.test(what, async () => assertOneLine(await cli(...argv), what, message));
});

test("unbounded reads and loops end: /dev/zero, a FIFO, /proc/self (child processes with a timeout)", async (t) => {
  const fifo = join(tmp, "fifo");
  assert.equal(spawnSync("mkfifo", [fifo]).status, 0, "mkfifo");
  const cases: [string, string[], RegExp][] = [
    ["guest write from /dev/zero", ["guest", "write", "vm1", "data", "0", "/dev/zero", "--state", small], /Cannot read file \/dev\/zero: not a regular file/],
    ["guest write from a FIFO", ["guest", "write", "vm1", "data", "0", fifo, "--state", small], /not a regular file/],
    ["create from a FIFO config", ["create", fifo, "--state", small], /Cannot read domain config .*fifo: not a regular file/],
    ["host init --spec /dev/zero", ["host", "init", "--spec", "/dev/zero", "--state", join(tmp, "zero-spec")], /Cannot read machine spec \/dev\/zero: not a regular file/],
    ["host init --state /proc/self", ["host", "init", "--state", "/proc/self"], /Cannot mkdir \/proc\/self\/host/],
    ["create --state /proc/self", ["create", join(tmp, "vm1.cfg"), "--state", "/proc/self"], /Cannot mkdir \/proc\/self\/toolstack/],
    ["image=/dev/zero", ["create", file("zero.cfg", vm("zero", "size=64M, namespace=fsdax:data, image=/dev/zero")), "--state", small], /Cannot read image \/dev\/zero: not a regular file/],
    ["image= a FIFO", ["create", file("fifo.cfg", vm("fifo", `size=64M, namespace=fsdax:data, image=${fifo}`)), "--state", small], /Cannot read image .*fifo: not a regular file/],
    ["image= a directory", ["create", file("dir.cfg", vm("dir", `size=64M, namespace=fsdax:data, image=${tmp}`)), "--state", small], /not a regular file/],
  ];
  const bigImage = join(tmp, "big.img");
  writeFileSync(bigImage, "");
  truncateSync(bigImage, 100 << 20);
  cases.push(["image= larger than its namespace", ["create", file("big-image.cfg", vm("bigimg", `size=64M, namespace=fsdax:data, image=${bigImage}`)), "--state", small], /is 104857600 bytes, larger than the \d+-byte data area/]);
  for (const [what, argv, message] of cases) await t.test(what, () => assertOneLine(spawnCli(argv), what, message));
  // Every refused create left nothing behind.
  assert.deepEqual((JSON.parse(await ok("list", "--json", "--state", small)) as { domains: { name: string }[] }).domains.map((x) => x.name), ["vm1"]);
});

test("image= a regular file the CLI's user can read is written into the namespace", async () => {
  const img = file("hello.img", "hello, image");
  await ok("create", file("img.cfg", vm("img", `size=64M, namespace=fsdax:data, image=${img}`)), "--state", small);
  assert.equal(await ok("guest", "read", "img", "data", "0", "12", "--state", small), "hello, image");
});

function walk(p: string, fn: (p: string) => void): void {
  fn(p);
  if (lstatSync(p).isDirectory()) for (const n of readdirSync(p)) walk(join(p, n), fn);
}

/** Who the read-only test runs as: as root, permission bits refuse nothing, so the CLI runs as nobody. */
const asNobody = process.getuid?.() === 0;

test(`a state directory this user cannot write (${asNobody ? "as root: run as nobody on a state it owns, with every write bit cleared" : "every write bit cleared"}): commands that read work, the others refuse in one line`, async (t) => {
  const state = await host("read-only", SMALL, [["--dimm", "0"], ["--dimm", "1", "--mgmt", "ram"]]);
  const cfg = file("ro.cfg", vm("vm1", "size=64M, namespace=fsdax:data"));
  await ok("create", cfg, "--state", state);
  await ok("guest", "write", "vm1", "data", "0", file("ro-data", "persistent"), "--state", state);
  const user = asNobody ? { uid: 65534, gid: 65534 } : {};
  if (asNobody) {
    chmodSync(tmp, 0o755);
    walk(state, (p) => chownSync(p, 65534, 65534));
    chmodSync(cfg, 0o644);
  }
  walk(state, (p) => chmodSync(p, lstatSync(p).mode & 0o555));
  t.after(() => walk(state, (p) => chmodSync(p, lstatSync(p).mode | 0o200)));
  const probe = spawnCli(["--help"], user);
  if (probe.code !== 0) return t.skip(`cannot run the CLI as uid 65534 here: ${probe.err}`);

  const reads: [string[], RegExp][] = [
    [["list"], /vm1 +1 +running/],
    [["host", "status"], /Host "t"/],
    [["pmem", "list"], /data/],
    [["pmem", "map"], /extent/],
    [["guest", "namespaces", "vm1"], /data +62 MiB +fsdax/],
    [["guest", "read", "vm1", "data", "0", "10"], /^persistent$/],
  ];
  for (const [argv, out] of reads) {
    await t.test(`${argv.join(" ")} works`, () => {
      const r = spawnCli([...argv, "--state", state], user);
      assert.equal(r.code, 0, `${argv.join(" ")}: ${r.err}`);
      assert.match(r.out, out, argv.join(" "));
    });
  }
  const writes: string[][] = [
    ["create", cfg], ["destroy", "vm1"], ["delete", "vm1"], ["attach", "vm1", "size=16M"], ["detach", "vm1", "vnvdimm0"], ["reclaim"],
    ["guest", "write", "vm1", "data", "0", cfg], ["host", "mce", "0x140500"], ["pmem", "reserve", "--dimm", "1", "--force"],
    ["pmem", "setup-mgmt", "0x180000", "0x180200"], ["host", "init", "--force"], ["up", "--port", "0"],
  ];
  for (const argv of writes) {
    await t.test(`${argv.map((x) => (x === cfg ? "CONFIG" : x)).join(" ")} refuses`, () => assertOneLine(spawnCli([...argv, "--state", state], user), argv.join(" "), /permission denied/));
  }
});
