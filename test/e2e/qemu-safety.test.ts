// Data safety of the qemu backend with real Linux guests, one domain booted
// at a time (each TCG boot costs tens of seconds):
// - a machine check on a page of a running qemu domain is never silent:
//   on_mce = "stop" (the default) stops it, and its next boot finds the page
//   in the guest's badblocks (reads there fail with EIO); on_mce = "tell"
//   marks it in the running guest, and stops the domain when the guest
//   cannot be told (a BTT namespace has no badblocks to write);
// - after a kill -9 of QEMU, list, create, destroy and delete agree that the
//   domain crashed;
// - a hotplug QEMU refuses leaves neither labels nor pages behind.
import { test } from "node:test";
import assert from "node:assert/strict";
import { closeSync, openSync, readFileSync, readSync, writeFileSync } from "node:fs";
import { createConnection } from "node:net";
import { setTimeout as sleep } from "node:timers/promises";
import { bootHost, hostBacking, listDomains, readLedger } from "../../src/toolstack/index.js";
import { qemuDomainPaths, runningPid } from "../../src/backends/index.js";
import { qemuSkip } from "../helpers/qemu.js";
import { cli, ok } from "../helpers/cli.js";
import { qemuTestHost } from "../helpers/e2e-host.js";

const skip = qemuSkip();
const h = qemuTestHost({ prefix: "qemu-safety", dimmSize: "512M" }, skip);
const st = () => ["--state", h.state];

/** The guest's stdout of `sh -c SCRIPT`; waits for the boot (the first request does). */
async function guestSh(name: string, script: string): Promise<string> {
  const r = await cli("guest", "exec", name, ...st(), "--", "sh", "-c", script);
  assert.equal(r.code, 0, `guest ${name}: ${script}\n${r.err}`);
  return r.out;
}

/** "pmem0 8192 8" for each pmem block device with a bad range. */
const BADBLOCKS = 'for b in /sys/block/pmem*; do cat $b/badblocks | while read s n; do echo "${b##*/} $s $n"; done; done';

function extent(name: string, id: string) {
  const v = listDomains(h.state).domains.find((d) => d.name === name)!.vnvdimms.find((x) => x.id === id)!;
  return v;
}

function qemuPid(name: string): number {
  const pid = runningPid(qemuDomainPaths(h.state, name));
  assert.ok(pid, `QEMU of ${name} runs`);
  return pid;
}

async function killQemu(name: string): Promise<void> {
  const p = qemuDomainPaths(h.state, name);
  process.kill(qemuPid(name), "SIGKILL");
  for (let i = 0; i < 200 && runningPid(p) !== null; i++) await sleep(25);
  assert.equal(runningPid(p), null, "QEMU is gone");
}

const status = (name: string) => listDomains(h.state).domains.find((d) => d.name === name)?.status;

test("on_mce = \"stop\" (the default): the domain stops at once, its next boot finds the page in its badblocks, and after a kill -9 of QEMU every verb agrees it crashed", { skip, timeout: 600_000 }, async () => {
  await ok("create", h.cfg("m", "'size=64M, namespace=fsdax:data'"), "--backend", "qemu", "--no-wait", ...st());
  const v = extent("m", "vnvdimm0");
  // Past the fsdax info block (the first 2 MiB): a page the guest's /dev/pmem0 reads.
  const bad = v.smfn + 1024;
  const mce = await ok("host", "mce", `0x${bad.toString(16)}`, ...st());
  assert.match(mce, /domain m \(domid \d+\) owned it; on_mce = "stop": the domain was stopped .*its guest finds the page in its namespaces' badblocks/);
  assert.equal(status("m"), "stopped");
  assert.equal(runningPid(qemuDomainPaths(h.state, "m")), null, "QEMU was stopped");

  const started = await ok("create", h.cfg("m", "'size=64M, namespace=fsdax:data'"), ...st());
  assert.match(started, /1 broken page under its vNVDIMMs goes into its guest's badblocks at boot/);
  // The page is 4 MiB into the extent, whose data area starts 2 MiB in: sector 4096 of /dev/pmem0, 8 sectors.
  assert.deepEqual((await guestSh("m", BADBLOCKS)).trim().split("\n"), ["pmem0 4096 8"]);
  const read = await cli("guest", "exec", "m", ...st(), "--", "dd", "if=/dev/pmem0", "of=/dev/null", "bs=4096", "skip=512", "count=1");
  assert.notEqual(read.code, 0, "the guest reads the broken page as an I/O error");
  assert.match(read.err + read.out, /Input\/output error/);
  assert.match(readFileSync(qemuDomainPaths(h.state, "m").console, "latin1"), /@@@VNVDIMM-BADBLOCK marked pmem0 4096 8@@@/);

  // kill -9 of QEMU: the domain crashed, and list, create, destroy and delete all say so.
  await killQemu("m");
  assert.equal(status("m"), "crashed");
  assert.match(await ok("list", ...st()), /m\s+\S+\s+crashed[\s\S]*m: its QEMU exited without a destroy/);
  assert.match(await ok("create", h.cfg("m", "'size=64M, namespace=fsdax:data'"), "--no-wait", ...st()), /Started domain m .*on the same pages/, "create starts a crashed domain again");
  assert.equal(status("m"), "running");
  await killQemu("m");
  assert.match(await ok("destroy", "m", ...st()), /Stopped domain m \(QEMU had already exited\)/);
  assert.equal(status("m"), "stopped");
  assert.equal((await cli("destroy", "m", ...st())).code, 1, "a second destroy: it is stopped");
  await ok("delete", "m", ...st());
});

test("on_mce = \"tell\": the running guest marks the page and runs on, unless it cannot be told; a refused hotplug leaves nothing behind", { skip, timeout: 600_000 }, async () => {
  const cfg = h.cfg("t", "'size=64M, namespace=fsdax:data', 'size=32M, namespace=sector:logs'");
  writeFileSync(cfg, readFileSync(cfg, "utf8") + 'on_mce = "tell"\n');
  await ok("create", cfg, "--backend", "qemu", ...st());
  assert.equal((await guestSh("t", BADBLOCKS)).trim(), "", "no bad blocks at first");

  // A hotplug QEMU refuses (the memory backend's id is taken): neither labels nor pages are left behind.
  await qmp(qemuDomainPaths(h.state, "t").qmp, { execute: "object-add", arguments: { "qom-type": "memory-backend-ram", id: "mem2", size: 1 << 22 } });
  const refused = await cli("attach", "t", "size=32M, namespace=raw:hot", ...st());
  assert.equal(refused.code, 1);
  assert.match(refused.err, /QEMU refused/);
  assert.deepEqual(readLedger(h.state).domains.find((d) => d.name === "t")!.extents.map((e) => e.id), ["vnvdimm0", "vnvdimm1"]);
  assert.deepEqual(readLedger(h.state).released, []);
  // Wherever the refused attach put its extent, the labels it wrote are gone: every data page no domain holds reads zero.
  assert.deepEqual(nonZeroOutsideDomains(), [], "no labels or data outside the domains' extents");

  const fs = extent("t", "vnvdimm0");
  const told = await ok("host", "mce", `0x${(fs.smfn + 1024).toString(16)}`, ...st());
  assert.match(told, /on_mce = "tell": its running guest marked it in its badblocks \(pmem\d+ sectors 4096\+8\) and runs on/);
  assert.equal(status("t"), "running");
  assert.match(await guestSh("t", BADBLOCKS), /^pmem\d+ 4096 8$/m);

  const sec = extent("t", "vnvdimm1");
  const stopped = await ok("host", "mce", `0x${(sec.smfn + 100).toString(16)}`, ...st());
  assert.match(stopped, /on_mce = "tell": the domain was stopped \(its guest could not be told: no pmem block device covers the page/);
  assert.equal(status("t"), "stopped");
});

/** The data-region pages, outside every domain's extents, that do not read zero in the host DIMM files. */
function nonZeroOutsideDomains(): number[] {
  const held = readLedger(h.state).domains.flatMap((d) => d.extents);
  const b = bootHost(h.state, { readOnly: true });
  const out: number[] = [];
  try {
    const r = b.hv.pmemGetRegions(0, "data");
    assert.ok(r.ok);
    const page = Buffer.alloc(4096);
    for (const g of r.value) {
      const { path, offsetBytes } = hostBacking(b, { smfn: g.smfn, nrPages: g.emfn - g.smfn });
      const fd = openSync(path, "r");
      try {
        for (let m = g.smfn; m < g.emfn; m++) {
          if (held.some((e) => m >= e.smfn && m < e.smfn + e.nrPages)) continue;
          readSync(fd, page, 0, 4096, Number(offsetBytes) + (m - g.smfn) * 4096);
          if (!page.every((x) => x === 0)) out.push(m);
        }
      } finally { closeSync(fd); }
    }
  } finally { b.close(); }
  return out;
}

/** One QMP command on a domain's monitor socket. */
function qmp(path: string, cmd: object): Promise<unknown> {
  return new Promise((resolve, reject) => {
    const sock = createConnection(path);
    let buf = "", step = 0;
    sock.setEncoding("utf8");
    sock.on("data", (d: string) => {
      buf += d;
      const lines = buf.split("\n");
      buf = lines.pop()!;
      for (const line of lines.filter((l) => l.trim())) {
        const m = JSON.parse(line) as { QMP?: unknown; return?: unknown; error?: unknown; event?: unknown };
        if (m.event) continue;
        if (step === 0) { sock.write(JSON.stringify({ execute: "qmp_capabilities" }) + "\n"); step = 1; }
        else if (step === 1) { sock.write(JSON.stringify(cmd) + "\n"); step = 2; }
        else { sock.destroy(); if (m.error) reject(new Error(JSON.stringify(m.error))); else resolve(m.return); }
      }
    });
    sock.on("error", reject);
  });
}
