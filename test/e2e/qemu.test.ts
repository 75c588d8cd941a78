// End to end with real Linux guests under QEMU (TCG): two boots of one domain.
// Boot A: pre-provisioned namespaces in every mode with v1.1 and v1.2 labels
// (a), an ext4 image mounted with -o dax (a), the NFIT against the builtin
// device model's (d), an unarmed vNVDIMM read-only (f), a hotplug through QMP
// (e) on which the guest creates a namespace that the host sees (b), and
// patterns written. Boot B, after a destroy and a create from a new vnvdimm
// process (a host reboot): the patterns, the guest-made namespace and the
// files are all there, and each pattern sits in its host DIMM file at the
// extent's offset and nowhere else (c).
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { spawn, spawnSync } from "node:child_process";
import { closeSync, mkdirSync, mkdtempSync, openSync, readFileSync, readSync, writeFileSync } from "node:fs";
import { createHash, randomBytes } from "node:crypto";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { run } from "../../src/cli/main.js";
import { listDomains, openGuest, readLedger, hostBacking, bootHost } from "../../src/toolstack/index.js";
import { createConnection } from "node:net";
import { encodeRequest, guestCacheDir, qemuDomainPaths, withFileLock } from "../../src/backends/index.js";
import { qemuSkip } from "../helpers/qemu.js";
import { diffNfits } from "../helpers/nfit-diff.js";

const skip = qemuSkip();
const BIN = fileURLToPath(new URL("../../../bin/vnvdimm", import.meta.url));

async function cli(...argv: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = "", err = "";
  // In this process, as the other in-process CLI tests (test/helpers/cli.ts): no host is started.
  const code = await run(argv, { out: (t) => { out += typeof t === "string" ? t : Buffer.from(t).toString("utf8"); }, err: (t) => { err += t; } }, { autostart: false });
  return { code, out, err };
}

let state = "";
let dir = "";
const ok = async (...argv: string[]): Promise<string> => {
  const r = await cli(...argv, "--state", state);
  assert.equal(r.code, 0, `vnvdimm ${argv.join(" ")}: ${r.err}`);
  return r.out;
};
/** `vnvdimm guest exec pre -- sh -c SCRIPT`: the guest's stdout; fails the test on a non-zero status. */
async function guestSh(script: string): Promise<string> {
  const r = await cli("guest", "exec", "pre", "--state", state, "--", "sh", "-c", script);
  assert.equal(r.code, 0, `guest: ${script}\n${r.err}`);
  return r.out;
}
/** A separate vnvdimm process that boots the host itself (no living host started): a restart of the toolstack, i.e. a host reboot. */
function vnvdimmProcess(...argv: string[]): { status: number | null; stdout: string; stderr: string } {
  // create and start wait for the guest to boot (TCG on a busy machine: minutes).
  return spawnSync(process.execPath, [BIN, ...argv, "--state", state], { encoding: "utf8", timeout: 400_000, env: { ...process.env, VNVDIMM_NO_AUTOSTART: "1" } });
}

type Ns = { uuid: string | null; name: string; size: number; mode: string; dimm: number; readOnly: boolean };
const namespaces = async (...extra: string[]) => (JSON.parse(await ok("guest", "namespaces", "pre", "--json", ...extra)) as Ns[]).sort((a, b) => a.name.localeCompare(b.name));

/** The guest's device for a namespace name, from its own `ndctl list -N`. */
async function device(name: string): Promise<string> {
  const ns = (JSON.parse(await guestSh("ndctl list -N")) as { name?: string; blockdev?: string; chardev?: string }[]).find((n) => n.name === name);
  const dev = ns?.blockdev ?? ns?.chardev;
  assert.ok(dev, `the guest has a device for ${name}`);
  return dev;
}

const EXPECTED: Record<string, [string, string]> = {
  fs11: ["fsdax", "v1.1"], fs12: ["fsdax", "v1.2"], dax11: ["devdax", "v1.1"], dax12: ["devdax", "v1.2"],
  sec11: ["sector", "v1.1"], sec12: ["sector", "v1.2"], raw11: ["raw", "v1.1"], raw12: ["raw", "v1.2"], ro: ["raw", "v1.2"],
};

const patterns = { raw11: randomBytes(4096), sec12: randomBytes(4096), dax12: randomBytes(4096) };
const offsets = { raw11: 8192n, sec12: 4096n, dax12: (2n << 20n) + 100n };
let madeInGuest: { uuid: string; dpa: number; size: number } | undefined;

before(async () => {
  if (skip) return;
  dir = mkdtempSync(join(tmpdir(), "vnvdimm-qemu-"));
  state = join(dir, "state");
  writeFileSync(join(dir, "machine.json"), JSON.stringify({ name: "e2e", sockets: [{ node: 0, ram: "1G" }, { node: 1, ram: "1G" }], nvdimms: [{ node: 0, size: "1G" }, { node: 1, size: "1G" }] }));
  await ok("host", "init", "--spec", join(dir, "machine.json"));
  await ok("pmem", "reserve", "--dimm", "0");
  await ok("pmem", "reserve", "--dimm", "1");
  // An ext4 image made on the host, with mke2fs -d (no mount, no root needed).
  const tree = join(dir, "tree");
  mkdirSync(tree);
  writeFileSync(join(tree, "hello.txt"), "hello from an image the host made\n");
  writeFileSync(join(tree, "blob.bin"), randomBytes(100_000));
  const mk = spawnSync("mke2fs", ["-q", "-F", "-t", "ext4", "-b", "4096", "-d", tree, join(dir, "fs.img"), "24M"], { encoding: "utf8" });
  assert.equal(mk.status, 0, mk.stderr);
  writeFileSync(join(dir, "pre.cfg"), `name = "pre"\nmemory = 512\nvnvdimms = [
  'size=64M, namespace=fsdax:fs11, labels=v1.1, image=${join(dir, "fs.img")}',
  'size=64M, namespace=fsdax:fs12, labels=v1.2',
  'size=64M, node=1, namespace=devdax:dax11, labels=v1.1',
  'size=64M, node=1, namespace=devdax:dax12, labels=v1.2',
  'size=32M, namespace=sector:sec11, labels=v1.1',
  'size=32M, namespace=sector:sec12, labels=v1.2, sector_size=512',
  'size=32M, namespace=raw:raw11, labels=v1.1',
  'size=32M, node=1, namespace=raw:raw12, labels=v1.2',
  'size=32M, namespace=raw:ro, labels=v1.2, unarmed=1' ]\n`);
});

after(async () => {
  // Never leave a QEMU behind, whatever failed.
  if (!state) return;
  for (const d of readLedger(state).domains.filter((x) => x.status === "running")) await cli("destroy", d.name, "--state", state);
});

test("boot A: what a real Linux finds, reads, writes and hotplugs", { skip, timeout: 600_000 }, async (t) => {
  const created = await ok("create", join(dir, "pre.cfg"), "--backend", "qemu");
  assert.match(created, /backend qemu/);

  await t.test("(a) pre-provisioned namespaces: the guest's ndctl agrees with the probe guest on uuids, names, sizes and modes", async () => {
    const real = await namespaces();
    const probe = await namespaces("--probe");
    assert.deepEqual(real, probe);
    assert.deepEqual(Object.fromEntries(real.map((n) => [n.name, n.mode])), Object.fromEntries(Object.entries(EXPECTED).map(([k, v]) => [k, v[0]])));
    assert.ok(real.every((n) => n.uuid && n.size > 0));
    // The same facts straight from `ndctl list -N -v`: raw_uuid is the label's uuid (uuid itself in raw mode).
    const list = JSON.parse(await guestSh("ndctl list -N -v")) as { name: string; mode: string; uuid: string; raw_uuid?: string; size: number }[];
    for (const n of real) {
      const l = list.find((x) => x.name === n.name)!;
      assert.deepEqual([l.raw_uuid ?? l.uuid, l.mode, l.size], [n.uuid, n.mode, n.size], n.name);
    }
    // Label versions: each label area's index block, as the guest's ndctl reads it.
    const [dimms, labels] = (await guestSh("ndctl list -D; echo @@@; ndctl read-labels -j all")).split("@@@");
    const handleOf = new Map((JSON.parse(dimms!) as { dev: string; handle: number }[]).map((d) => [d.dev, d.handle]));
    const version = new Map((JSON.parse(labels!) as { dev: string; index: { major: number; minor: number }[] }[]).map((l) => [handleOf.get(l.dev)! - 1, `v${l.index[0]!.major}.${l.index[0]!.minor}`]));
    for (const [name, [, v]] of Object.entries(EXPECTED)) assert.equal(version.get(real.find((n) => n.name === name)!.dimm), v, name);
  });

  await t.test("(a) the host-made ext4 image mounts with -o dax and its files read back", async () => {
    const out = await guestSh(`mkdir -p /mnt/fs && mount -t ext4 -o dax /dev/${await device("fs11")} /mnt/fs && cat /mnt/fs/hello.txt && wc -c </mnt/fs/blob.bin && grep /mnt/fs /proc/mounts && umount /mnt/fs`);
    const [hello, size, mount] = out.trim().split("\n");
    assert.equal(hello, "hello from an image the host made");
    assert.equal(size?.trim(), "100000");
    assert.match(mount!, /ext4 .*dax/);
    // The image carries e2fsprogs' checker: after the unmount the filesystem checks clean, read-only.
    const fsck = await cli("guest", "exec", "pre", "--state", state, "--", "sh", "-c", `e2fsck -fn /dev/${await device("fs11")} 2>&1; echo "rc=$?"`);
    assert.match(fsck.out, /rc=0\s*$/, fsck.out);
    assert.match(fsck.out, /Pass 5: Checking group summary information/);
  });

  await t.test("(d) the guest's NFIT is the builtin device model's, apart from OEM fields and DIMM order", async () => {
    const nfit = new Uint8Array(Buffer.from(await guestSh("base64 /sys/firmware/acpi/tables/NFIT"), "base64"));
    const g = openGuest(state, "pre", { probe: true });
    try {
      const d = diffNfits(nfit, g.domain.platform.acpi.nfit!);
      assert.deepEqual([d.onlyInA, d.onlyInB], [[], []], "every sub-structure is the same");
      assert.deepEqual(d.header.filter((h) => !/^oem|^aslCompiler/.test(h)), [], "only OEM and creator fields may differ");
    } finally { g.close(); }
  });

  await t.test("(f) an unarmed vNVDIMM is a read-only region in the guest", async () => {
    const ro = (await namespaces()).find((n) => n.name === "ro")!;
    assert.equal(ro.readOnly, true);
    assert.deepEqual((await namespaces()).filter((n) => n.readOnly).map((n) => n.name), ["ro"]);
    const out = await guestSh(`for d in /sys/bus/nd/devices/nmem*; do [ $(( $(cat $d/nfit/handle) )) = ${ro.dimm + 1} ] && nmem=\${d##*/}; done
      ndctl list -D -d $nmem | grep -c flag_failed_arm
      dev=${await device("ro")}
      cat /sys/block/$dev/ro
      if echo x | dd of=/dev/$dev conv=fsync 2>/dev/null; then echo writable; else echo refused; fi`);
    assert.deepEqual(out.trim().split("\n"), ["1", "1", "refused"]);
    const p = join(dir, "x.bin");
    writeFileSync(p, "x");
    assert.equal((await cli("guest", "write", "pre", "ro", "0", p, "--state", state)).code, 1);
    // The label area is the tail of a backend QEMU opened read-only: the guest's label writes do not reach the host file.
    const ext = readLedger(state).domains[0]!.extents.find((e) => e.unarmed)!;
    const b = bootHost(state);
    let label: () => Buffer;
    try {
      const { path, offsetBytes } = hostBacking(b, ext);
      const at = Number(offsetBytes) + (ext.nrPages - ext.nrLabelPages) * 4096;
      label = () => { const fd = openSync(path, "r"); try { const buf = Buffer.alloc(ext.nrLabelPages * 4096); readSync(fd, buf, 0, buf.length, at); return buf; } finally { closeSync(fd); } };
    } finally { b.close(); }
    const before = label();
    await guestSh(`for d in /sys/bus/nd/devices/nmem*; do [ $(( $(cat $d/nfit/handle) )) = ${ro.dimm + 1} ] && nmem=\${d##*/}; done
      for r in /sys/bus/nd/devices/region*; do case "$(cat $r/mapping0)" in "$nmem,"*) region=\${r##*/};; esac; done
      ndctl disable-region $region >/dev/null 2>&1; ndctl init-labels -f $nmem >/dev/null 2>&1; ndctl enable-region $region >/dev/null 2>&1; true`);
    assert.deepEqual(label(), before, "the unarmed label area is unchanged on the host");
    assert.deepEqual((await namespaces()).find((n) => n.name === "ro")?.uuid, ro.uuid, "the guest still finds the namespace");
  });

  await t.test("(c) patterns written through the guest's block and dax devices read back", async () => {
    for (const [name, bytes] of Object.entries(patterns)) {
      const f = join(dir, `${name}.bin`);
      writeFileSync(f, bytes);
      await ok("guest", "write", "pre", name, String(offsets[name as keyof typeof offsets]), f);
      const back = join(dir, `${name}.back`);
      await ok("guest", "read", "pre", name, String(offsets[name as keyof typeof offsets]), String(bytes.length), "--out", back);
      assert.deepEqual(readBytes(back), bytes, name);
    }
  });

  await t.test("(e) an attach through QMP makes a new DIMM appear in the running guest; (b) the guest labels it and creates a namespace the host sees", async () => {
    const before = Number((await guestSh("ls /sys/bus/nd/devices | grep -c nmem")).trim());
    assert.match(await ok("attach", "pre", "size=64M, id=hot"), /hotplugged into the running QEMU/);
    const hot = listDomains(state).domains[0]!.vnvdimms.find((v) => v.id === "hot")!;
    const handle = hot.slot + 1;
    // The guest's nfit driver re-reads _FIT on the notification; give it a moment under TCG.
    const seen = await guestSh(`for i in $(seq 50); do for d in /sys/bus/nd/devices/nmem*; do [ $(( $(cat $d/nfit/handle) )) = ${handle} ] && { echo \${d##*/}; exit 0; }; done; sleep 0.2; done; exit 1`);
    assert.match(seen.trim(), /^nmem\d+$/);
    assert.equal(Number((await guestSh("ls /sys/bus/nd/devices | grep -c nmem")).trim()), before + 1);
    assert.equal((await cli("detach", "pre", "hot", "--state", state)).code, 1, "QEMU cannot hot-unplug");

    const made = await guestSh(`set -e
      nmem=${seen.trim()}
      for r in /sys/bus/nd/devices/region*; do case "$(cat $r/mapping0)" in "$nmem,"*) region=\${r##*/};; esac; done
      ndctl disable-region $region >/dev/null
      ndctl init-labels -f -V 1.2 $nmem >/dev/null
      ndctl enable-region $region >/dev/null
      ndctl create-namespace -r $region -m fsdax -n made-in-guest >/dev/null
      for n in /sys/bus/nd/devices/$region/namespace*.*; do [ "$(cat $n/alt_name)" != made-in-guest ] || ns=$n; done
      echo "$(cat $ns/uuid) $(( $(cat $ns/resource) - $(cat /sys/bus/nd/devices/$region/resource) )) $(cat $ns/size)"`);
    const [uuid, dpa, size] = made.trim().split(" ");
    madeInGuest = { uuid: uuid!, dpa: Number(dpa), size: Number(size) };
    // The host reads the label area in the DIMM file, at the extent the hypervisor assigned.
    const b = bootHost(state);
    let backing: { path: string; offsetBytes: bigint };
    try { backing = hostBacking(b, hot); } finally { b.close(); }
    const inspect = JSON.parse((await cli("inspect", "labels", backing.path, "--offset", String(backing.offsetBytes), "--size", String(hot.nrPages * 4096), "--slot", String(hot.slot), "--json")).out) as { namespaces: { uuid: string; name: string; mode: string; dpa: number; rawsize: number }[] };
    assert.deepEqual(inspect.namespaces.map((n) => [n.uuid, n.name, n.mode, n.dpa, n.rawsize]), [[madeInGuest.uuid, "made-in-guest", "fsdax", madeInGuest.dpa, madeInGuest.size]]);
    // And the probe guest, through the builtin device model's _DSM and NFIT, sees the same namespace.
    const probe = (await namespaces("--probe")).find((n) => n.name === "made-in-guest");
    assert.deepEqual([probe?.uuid, probe?.mode, probe?.dimm], [madeInGuest.uuid, "fsdax", hot.slot]);
  });

  await t.test("guest exec --timeout stops the command in the guest (exit 124) and the agent serves the next one; --stdin feeds it bytes", async () => {
    const t0 = Date.now();
    const slow = spawnSync(process.execPath, [BIN, "guest", "exec", "pre", "--timeout", "2", "--state", state, "--", "sh", "-c", "sleep 30; echo finished"], { encoding: "utf8", env: { ...process.env, VNVDIMM_NO_AUTOSTART: "1" } });
    assert.equal(slow.status, 124, slow.stderr);
    assert.match(slow.stderr, /ran past --timeout 2 s and was stopped in the guest/);
    assert.doesNotMatch(slow.stdout, /finished/);
    assert.ok(Date.now() - t0 < 25_000, "it did not wait for the sleep");
    assert.equal((await guestSh("ps | grep -c '[s]leep 30' || true")).trim(), "0", "nothing of the command left running in the guest");
    const bytes = randomBytes(100_000);
    const fed = spawnSync(process.execPath, [BIN, "guest", "exec", "pre", "--stdin", "--state", state, "--", "sha256sum"], { input: bytes, encoding: "utf8", env: { ...process.env, VNVDIMM_NO_AUTOSTART: "1" } });
    assert.equal(fed.status, 0, fed.stderr);
    assert.equal(fed.stdout.split(" ")[0], createHash("sha256").update(bytes).digest("hex"));
  });

  await t.test("vnvdimm console: a shell on the serial console; Ctrl-C reaches the guest's command; Ctrl-] leaves; console.log still gets it all", async () => {
    const child = spawn(process.execPath, [BIN, "console", "pre", "--state", state], { stdio: ["pipe", "pipe", "pipe"] });
    let out = "", err = "";
    child.stdout.on("data", (b: Buffer) => { out += b.toString("utf8"); });
    child.stderr.on("data", (b: Buffer) => { err += b.toString("utf8"); });
    const exited = new Promise<number | null>((resolve) => child.on("exit", (code) => resolve(code)));
    const until = async (re: RegExp, what: string) => {
      for (const end = Date.now() + 60_000; !re.test(out);) {
        assert.ok(Date.now() < end, `${what}: ${JSON.stringify(out.slice(-400))} / ${err}`);
        await new Promise((r) => setTimeout(r, 200));
      }
    };
    child.stdin.write("\necho console-$((6*7))\n");
    await until(/console-42/, "the shell answers");
    // A command that would run for a minute, interrupted from the console as a user would with Ctrl-C.
    child.stdin.write("sleep 60; echo not-interrupted\n");
    await new Promise((r) => setTimeout(r, 1_500));
    child.stdin.write("\x03");
    child.stdin.write("echo after-$((1+1))\n");
    await until(/after-2/, "Ctrl-C interrupted the sleep");
    assert.doesNotMatch(out, /^not-interrupted\r?$/m, "the sleep never finished: only its command line was echoed");
    child.stdin.write("\x1d");
    assert.equal(await exited, 0, err);
    assert.match(err, /Connected to the console of pre/);
    assert.match(readFileSync(join(state, "qemu", "pre", "console.log"), "utf8"), /console-42/, "the log has what the console showed");
    assert.equal((await guestSh("echo agent-still-here")).trim(), "agent-still-here");
  });

  await t.test("the agent asks again for a damaged request, and answers a repeated one from its stored reply without running it twice", async () => {
    const p = qemuDomainPaths(state, "pre");
    const good = encodeRequest("twice", "echo run >> /tmp/runs; wc -l < /tmp/runs");
    const [head, body] = good.split("\n");
    // One step at a time, as the host client does: the agent reads a request only when it is idle.
    const steps: [string, RegExp][] = [
      [`${head!.replace(/ [0-9a-f]{16}@@@$/, " 0000000000000000@@@")}\n${body}`, /@@@VNVDIMM-NAK twice@@@/],
      [good, /@@@VNVDIMM-END twice rc=0@@@/],
      [good, /@@@VNVDIMM-END twice rc=0@@@[\s\S]*@@@VNVDIMM-END twice rc=0@@@/],
    ];
    const seen = await withFileLock(p.agentLock, () => new Promise<string>((resolve, reject) => {
      const sock = createConnection(p.agent);
      let buf = "", step = 0;
      sock.setEncoding("latin1");
      sock.on("data", (d: string) => {
        buf += d;
        if (!steps[step]![1].test(buf)) return;
        if (++step === steps.length) { sock.destroy(); resolve(buf); } else sock.write(steps[step]![0]);
      });
      sock.on("error", reject);
      sock.on("connect", () => sock.write(steps[0]![0]));
      setTimeout(() => { sock.destroy(); reject(new Error(`stuck at step ${step}: ${buf}`)); }, 30_000);
    }));
    assert.match(seen, /@@@VNVDIMM-NAK twice@@@/);
    const outs = [...seen.matchAll(/@@@VNVDIMM-OUT twice@@@\n(\S*)\n/g)].map((m) => Buffer.from(m[1]!, "base64").toString().trim());
    assert.deepEqual(outs, ["1", "1"]);
    assert.equal((await guestSh("wc -l < /tmp/runs")).trim(), "1");
  });

  const list = await ok("list");
  assert.match(list, /running \(qemu: running, pid \d+\)/);
  assert.match(await ok("destroy", "pre"), /the guest powered off/);
  assert.match(await ok("list"), /pre\s+-\s+stopped\s+qemu/);
});

test("boot B: after a destroy and a recreate by a new vnvdimm process, a new guest finds everything", { skip, timeout: 600_000 }, async () => {
  assert.ok(madeInGuest, "boot A ran");
  // The pattern is in the host DIMM file at the extent's offset, and nowhere else in any DIMM file.
  const b = bootHost(state);
  try {
    const d = readLedger(state).domains[0]!;
    const ext = (id: string) => d.extents.find((e) => e.id === `vnvdimm${id}`)!;
    const sectors = Array.from({ length: patterns.sec12.length / 512 }, (_x, i) => patterns.sec12.subarray(i * 512, (i + 1) * 512));
    const needles = [patterns.raw11, patterns.dax12, ...sectors];
    const found = needles.map(() => [] as { path: string; offset: bigint }[]);
    for (const dm of b.host.dimms) findAll(dm.path, needles).forEach((offs, i) => found[i]!.push(...offs.map((offset) => ({ path: dm.path, offset }))));
    const [rawAt, daxAt, ...secAt] = found;
    const raw = hostBacking(b, ext("6"));
    assert.deepEqual(rawAt, [{ path: raw.path, offset: raw.offsetBytes + offsets.raw11 }], "raw: data starts at DPA 0");
    const dax = hostBacking(b, ext("3"));
    assert.deepEqual(daxAt, [{ path: dax.path, offset: dax.offsetBytes + (2n << 20n) + offsets.dax12 }], "devdax: past the 2 MiB info-block reservation");
    // A sector namespace: each 512-byte sector in whichever BTT block the BTT map gives it, once, inside the extent.
    const sec = hostBacking(b, ext("5"));
    secAt.forEach((at, i) => {
      assert.equal(at.length, 1, `sector ${i}: one copy`);
      assert.ok(at[0]!.path === sec.path && at[0]!.offset >= sec.offsetBytes && at[0]!.offset < sec.offsetBytes + BigInt(ext("5").nrPages * 4096), `sector ${i}: inside the extent`);
    });
  } finally { b.close(); }

  // The domain now holds the vNVDIMM hotplugged in boot A, which pre.cfg lacks: `create pre.cfg` is refused, `start` uses what it holds.
  const refused = vnvdimmProcess("create", join(dir, "pre.cfg"));
  assert.equal(refused.status, 1, refused.stderr);
  assert.match(refused.stderr, /holds vNVDIMM hot .*which the config lacks/);
  const created = vnvdimmProcess("start", "pre");
  assert.equal(created.status, 0, created.stderr);
  assert.match(created.stdout, /on the same pages/);
  const listed = vnvdimmProcess("list");
  assert.match(listed.stdout, /running \(qemu: running/);

  for (const [name, bytes] of Object.entries(patterns)) {
    const back = join(dir, `${name}.again`);
    await ok("guest", "read", "pre", name, String(offsets[name as keyof typeof offsets]), String(bytes.length), "--out", back);
    assert.deepEqual(readBytes(back), bytes, name);
  }
  const made = (await namespaces()).find((n) => n.name === "made-in-guest");
  assert.equal(made?.uuid, madeInGuest!.uuid);
  assert.equal((await guestSh(`mkdir -p /m && mount -o dax /dev/${await device("fs11")} /m && cat /m/hello.txt`)).trim(), "hello from an image the host made");
  const nfit = new Uint8Array(Buffer.from(await guestSh("base64 /sys/firmware/acpi/tables/NFIT"), "base64"));
  const g = openGuest(state, "pre", { probe: true });
  try {
    const d = diffNfits(nfit, g.domain.platform.acpi.nfit!);
    assert.deepEqual([d.onlyInA.length, d.onlyInB.length], [0, 0], "the hotplugged DIMM, now cold-plugged, too");
  } finally { g.close(); }
  assert.match(await ok("destroy", "pre"), /Stopped domain pre/);
});

test("without a guest image, a qemu create says what to run and leaves the domain stopped on its extents", { skip }, async () => {
  const saved = process.env["VNVDIMM_GUEST_CACHE"];
  process.env["VNVDIMM_GUEST_CACHE"] = mkdtempSync(join(tmpdir(), "vnvdimm-nocache-"));
  try {
    assert.notEqual(guestCacheDir(), "");
    writeFileSync(join(dir, "n.cfg"), `name = "n"\nmemory = 256\nvnvdimms = [ 'size=32M, namespace=raw:x' ]\n`);
    const r = await cli("create", join(dir, "n.cfg"), "--backend", "qemu", "--state", state);
    assert.equal(r.code, 1);
    assert.match(r.err, /no guest image[\s\S]*vnvdimm setup qemu/);
    const d = readLedger(state).domains.find((x) => x.name === "n")!;
    assert.deepEqual([d.status, d.extents.map((e) => e.state)], ["stopped", ["held"]]);
    assert.equal((await cli("guest", "exec", "n", "--state", state, "--", "true")).code, 1, "a stopped domain");
  } finally {
    if (saved === undefined) delete process.env["VNVDIMM_GUEST_CACHE"]; else process.env["VNVDIMM_GUEST_CACHE"] = saved;
  }
});

function readBytes(p: string): Buffer {
  const fd = openSync(p, "r");
  try {
    const out = Buffer.alloc(1 << 16);
    const n = readSync(fd, out, 0, out.length, 0);
    return out.subarray(0, n);
  } finally { closeSync(fd); }
}

/** Every offset of each needle in a (sparse) file, read once in 64 MiB steps that overlap by the longest needle. */
function findAll(path: string, needles: readonly Buffer[]): bigint[][] {
  const fd = openSync(path, "r");
  const chunk = Buffer.alloc(64 << 20);
  const overlap = Math.max(...needles.map((n) => n.length));
  const out = needles.map(() => [] as bigint[]);
  try {
    for (let pos = 0; ; pos += chunk.length - overlap) {
      const n = readSync(fd, chunk, 0, chunk.length, pos);
      const view = chunk.subarray(0, n);
      needles.forEach((needle, k) => {
        for (let i = view.indexOf(needle); i >= 0; i = view.indexOf(needle, i + 1)) {
          if (!out[k]!.includes(BigInt(pos + i))) out[k]!.push(BigInt(pos + i));
        }
      });
      if (n < chunk.length) break;
    }
  } finally { closeSync(fd); }
  return out;
}
