// What a stock Linux (Debian's 6.1, under QEMU) does with a host DIMM that
// holds a hypervisor reservation, when it sees the DIMM itself — as a control
// domain's kernel or another OS booted on the host does. The reservation is
// made by `vnvdimm pmem reserve`; QEMU is given the host's own DIMM file, label
// area included, with the serial the host spec names, so Linux computes the
// same interleave-set cookie and accepts the labels.
//
// Linux must leave the namespace unbound: no /dev/pmem, no /dev/dax, so no
// ordinary write reaches the record or the areas behind it, and the boot must
// not change a byte of the DIMM. Then the guest forces the namespace into
// fsdax (`ndctl create-namespace -f -e`), which no media format can prevent,
// and the next host boot must say loudly that the reservation is lost.
import { after, test } from "node:test";
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  agentPoweroff, agentRun, badRangesText, buildQemuArgv, chooseAccel, guestCacheDir, guestFile, launchQemu, qemuDomainPaths, readImage, runningPid, signal, waitExit,
} from "../../src/backends/index.js";
import { cli } from "../helpers/cli.js";
import { qemuSkip } from "../helpers/qemu.js";

const skip = qemuSkip();
const MiB = 1n << 20n;
const SIZE = 256n * MiB;
const LABEL = 128n * 1024n;

let state = "";
let qemuPid: number | null = null;
after(async () => {
  // Never leave a QEMU behind, whatever failed.
  if (qemuPid !== null && runningPid(qemuDomainPaths(state, "linux")) !== null) signal(qemuPid, "SIGKILL");
});

async function ok(...argv: string[]): Promise<string> {
  const r = await cli(...argv, "--state", state);
  assert.equal(r.code, 0, `vnvdimm ${argv.join(" ")}: ${r.err}`);
  return r.out;
}

const dimmFile = () => join(state, "host", "nvdimm0.img");
const hashDimm = () => createHash("sha256").update(readFileSync(dimmFile())).digest("hex");

/** Boots Linux with the host's DIMM 0 as its NVDIMM (slot 0: serial 0x123456, as the host spec says). */
function bootLinuxOnHostDimm() {
  const image = readImage();
  assert.ok(image, "a guest image");
  const p = qemuDomainPaths(state, "linux");
  mkdirSync(p.dir, { recursive: true, mode: 0o700 });
  copyFileSync(guestFile("agent.sh"), p.agentScript);
  writeFileSync(p.badblocks, badRangesText([])); // no broken pages to hand over
  const argv = buildQemuArgv({
    name: "linux", ramMiB: 512, vcpus: 1, slots: 1, maxmemBytes: (512n * MiB) + (1n << 30n), nodes: 1, accel: chooseAccel(guestCacheDir()).accel,
    kernel: image.kernel, initrd: image.initrd, agentScript: p.agentScript, consoleLog: p.console, consoleSocket: p.consoleSocket, agentSocket: p.agent, qmpSocket: p.qmp, pidFile: p.pid, badblocksFile: p.badblocks,
    nvdimms: [{ slot: 0, memPath: dimmFile(), offsetBytes: 0n, extentBytes: SIZE + LABEL, labelBytes: LABEL, gpa: 1n << 32n, node: 0, unarmed: false }],
  });
  qemuPid = launchQemu(p, argv);
  return { p, agent: { socket: p.agent, lock: p.agentLock } };
}

async function sh(agent: { socket: string; lock: string }, script: string): Promise<{ status: number; out: string; err: string }> {
  const r = await agentRun(agent, script, 120_000);
  return { status: r.status, out: Buffer.from(r.stdout).toString("utf8"), err: Buffer.from(r.stderr).toString("utf8") };
}

test("a stock Linux leaves a reserved namespace unbound and changes nothing; forced to fsdax, the next host boot reports the reservation lost", { skip, timeout: 600_000 }, async () => {
  const dir = mkdtempSync(join(tmpdir(), "vnvdimm-rsv-linux-"));
  state = join(dir, "state");
  writeFileSync(join(dir, "m.json"), JSON.stringify({ name: "rsv", sockets: [{ node: 0, ram: "1G" }], nvdimms: [{ node: 0, size: "256M", serial: 0x123456 }] }));
  await ok("host", "init", "--spec", join(dir, "m.json"));
  const rsv = JSON.parse(await ok("pmem", "reserve", "--dimm", "0", "--json")) as { namespace: { uuid: string }; record: { uuid: string } };
  const before = hashDimm();

  const { p, agent } = bootLinuxOnHostDimm();
  // The agent answers once the guest has booted (TCG: tens of seconds).
  const deadline = Date.now() + 240_000;
  for (;;) {
    try { await sh(agent, "true"); break; } catch (e) { if (Date.now() > deadline) throw e; }
  }
  const ns = JSON.parse((await sh(agent, "ndctl list -N -i")).out || "[]") as { dev: string; uuid?: string; name?: string; state?: string; blockdev?: string; chardev?: string; mode?: string }[];
  const hv = ns.find((n) => n.uuid === rsv.namespace.uuid);
  assert.ok(hv, `Linux accepted the labels and found the namespace: ${JSON.stringify(ns)}`);
  assert.equal(hv.name, "hypervisor");
  assert.equal(hv.blockdev, undefined, "no block device over the reservation");
  assert.equal(hv.chardev, undefined, "no dax device over the reservation");
  assert.equal(hv.state, "disabled");
  const devs = await sh(agent, "ls /dev/pmem* /dev/dax* 2>/dev/null; dmesg | grep -c 'page size mismatch'");
  assert.deepEqual(devs.out.trim().split("\n"), ["1"], `no pmem or dax device, and the driver said why: ${devs.out}`);
  // Asking for it explicitly changes nothing either.
  const enable = await sh(agent, `ndctl enable-namespace ${hv.dev} 2>&1; ls /dev/pmem* /dev/dax* 2>/dev/null | wc -l`);
  assert.match(enable.out.trim(), /\n?0$/, `enable-namespace binds nothing: ${enable.out}`);
  await agentPoweroff(agent, 60_000);
  assert.ok(await waitExit(p, qemuPid!, 60_000), "the guest powered off");
  assert.equal(hashDimm(), before, "a Linux boot (and an enable-namespace) changed no byte of the DIMM");
  assert.match(await ok("host", "status"), /hypervisor {2}0x0 {2}\S+ \S+ {2}reservation/);

  // Root with --force can still take the namespace: the record becomes an fsdax info block.
  const { p: p2, agent: agent2 } = bootLinuxOnHostDimm();
  const deadline2 = Date.now() + 240_000;
  for (;;) {
    try { await sh(agent2, "true"); break; } catch (e) { if (Date.now() > deadline2) throw e; }
  }
  const forced = await sh(agent2, `ndctl create-namespace -f -e ${hv.dev} -m fsdax 2>&1; sync`);
  assert.equal(forced.status, 0, forced.out);
  await agentPoweroff(agent2, 60_000);
  assert.ok(await waitExit(p2, qemuPid!, 60_000), "the guest powered off");

  const s = JSON.parse(await ok("host", "status", "--json")) as { lost: { uuid: string; found: string }[]; reservations: unknown[] };
  assert.deepEqual(s.reservations, []);
  assert.deepEqual(s.lost.map((l) => l.uuid), [rsv.record.uuid]);
  assert.match(s.lost[0]!.found, /fsdax info block/);
  assert.match(await ok("host", "status"), new RegExp(`^LOST RESERVATION ${rsv.record.uuid}`, "m"));
});
