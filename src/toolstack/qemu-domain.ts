// The qemu backend's side of the lifecycle: a running qemu domain is a QEMU
// process whose vNVDIMMs are windows of the host DIMM files at exactly the
// extents the hypervisor assigned, placed at the guest addresses of the
// builtin device model's layout. Starting is synchronous (QEMU daemonizes
// once set up); stopping, status and hotplug talk to QEMU and the guest.
import { chmodSync, copyFileSync, closeSync, fsyncSync, mkdirSync, openSync, writeFileSync } from "node:fs";
import {
  QEMU_MIN_VERSION, SetupError, agentPoweroff, backendProps, buildQemuArgv, chooseAccel, deviceProps, guestFile, launchQemu, qemuDomainPaths,
  qemuVersion, readConsole, readImage, readRunRecord, runningPid, signal, versionAtLeast, versionText, waitExit, waitReady, withQmp, writeRunRecord,
  isReady, QemuGuest, guestCacheDir, badRangesText, markBadRangesScript, parseMarkOutput, type QemuVnvdimm, type QemuRunRecord, type GuestBadRange, type MarkResult,
} from "../backends/index.js";
import { PAGE_BYTES } from "../hypervisor/index.js";
import type { GuestLayout } from "../devicemodel/index.js";
import type { BootedHost } from "./host-boot.js";
import type { LedgerDomain, LedgerExtent } from "./ledger.js";
import type { RunningDomain } from "./domain-boot.js";
import { vcpusOf } from "./recreate.js";

const PAGE = BigInt(PAGE_BYTES);

export class QemuDomainError extends Error {
  /** `detail`: lines quoted from elsewhere (the guest's console), printed after the message. */
  constructor(readonly code: "qemu.extent" | "qemu.hotplug" | "qemu.not-running" | "qemu.unplug" | "qemu.agent" | "qemu.boot", message: string, readonly hint?: string,
    readonly detail: readonly string[] = []) {
    super(message);
    this.name = "QemuDomainError";
  }
}

/** The host DIMM file behind an extent, and the extent's byte offset in it. */
export function hostBacking(b: BootedHost, e: Pick<LedgerExtent, "smfn" | "nrPages">): { path: string; offsetBytes: bigint } {
  const spa = BigInt(e.smfn) * PAGE;
  const end = spa + BigInt(e.nrPages) * PAGE;
  const d = b.host.dimms.find((x) => spa >= x.spa && end <= x.spa + x.sizeBytes);
  if (!d) throw new QemuDomainError("qemu.extent", `Extent at MFN 0x${e.smfn.toString(16)} (${e.nrPages} pages) is not inside one host DIMM`);
  return { path: d.path, offsetBytes: spa - d.spa };
}

function qemuNvdimm(b: BootedHost, layout: GuestLayout, e: LedgerExtent): QemuVnvdimm {
  const w = layout.windows.find((x) => x.slot === e.slot);
  if (!w) throw new QemuDomainError("qemu.extent", `No guest window for vNVDIMM ${e.id} (slot ${e.slot})`);
  const { path, offsetBytes } = hostBacking(b, e);
  return { slot: e.slot, memPath: path, offsetBytes, extentBytes: BigInt(e.nrPages) * PAGE, labelBytes: BigInt(e.nrLabelPages) * PAGE, gpa: w.gpa, node: e.node, unarmed: e.unarmed };
}

/** As many guest NUMA nodes as the host has, so that any vNVDIMM (even a hotplugged one) keeps its host node. */
function guestNodes(b: BootedHost, extents: readonly LedgerExtent[]): number {
  return Math.max(1, ...b.host.dimms.map((d) => d.node + 1), ...extents.map((e) => e.node + 1));
}

function requireImage() {
  const image = readImage();
  if (!image) throw new SetupError("setup.image-missing", "There is no guest image for the qemu backend", "run `vnvdimm setup qemu` (as root the first time: it installs QEMU, a kernel and ndctl)");
  const v = qemuVersion();
  if (!v || !versionAtLeast(v, QEMU_MIN_VERSION)) {
    throw new SetupError("setup.qemu-too-old", `QEMU ${v ? versionText(v) : "is not installed"}${v ? " cannot map a vNVDIMM extent" : ""}; the qemu backend needs ${versionText(QEMU_MIN_VERSION)} or later`, "run `vnvdimm setup qemu`");
  }
  return image;
}

/** The guest-physical page of each broken host page in the data part of the domain's held extents (label pages have no guest address). */
export function guestBadRanges(broken: readonly number[], windows: readonly { slot: number; gpa: bigint }[], extents: readonly LedgerExtent[]): GuestBadRange[] {
  const out: GuestBadRange[] = [];
  for (const e of extents.filter((x) => x.state === "held")) {
    const w = windows.find((x) => x.slot === e.slot);
    const dataPages = e.nrPages - e.nrLabelPages;
    if (!w) continue;
    for (const m of [...broken].sort((a, b) => a - b)) {
      if (m >= e.smfn && m < e.smfn + dataPages) out.push({ gpa: w.gpa + BigInt(m - e.smfn) * PAGE, bytes: PAGE });
    }
  }
  return out;
}

/** Starts the domain's QEMU (the hypervisor has mapped its extents already). */
export function startQemuDomain(state: string, b: BootedHost, d: LedgerDomain, run: RunningDomain): QemuRunRecord & { badRanges: GuestBadRange[] } {
  const image = requireImage();
  const p = qemuDomainPaths(state, d.name);
  // QMP and the agent port control the guest: only the owner may reach them.
  mkdirSync(p.dir, { recursive: true, mode: 0o700 });
  chmodSync(p.dir, 0o700);
  if (runningPid(p) !== null) throw new QemuDomainError("qemu.not-running", `QEMU of domain ${d.name} is still running`, `stop it with \`vnvdimm destroy ${d.name}\``);
  copyFileSync(guestFile("agent.sh"), p.agentScript);
  const held = d.extents.filter((e) => e.state === "held");
  const { accel } = chooseAccel(guestCacheDir());
  const layout = run.layout;
  // QEMU's NVDIMM has no ARS: the agent puts the broken pages into the guest's badblocks before anything reads them.
  const bad = guestBadRanges(b.broken, layout.windows, held);
  writeFileSync(p.badblocks, badRangesText(bad), { mode: 0o600 });
  const nodes = guestNodes(b, held);
  const argv = buildQemuArgv({
    name: d.name, ramMiB: d.memoryMiB, vcpus: vcpusOf(d), slots: layout.slots, maxmemBytes: layout.maxmemBytes, nodes, accel,
    kernel: image.kernel, initrd: image.initrd, agentScript: p.agentScript, badblocksFile: p.badblocks, consoleLog: p.console, consoleSocket: p.consoleSocket, agentSocket: p.agent, qmpSocket: p.qmp, pidFile: p.pid,
    nvdimms: held.map((e) => qemuNvdimm(b, layout, e)),
    // Test-only: a kernel parameter that makes the boot fail (test/e2e/qemu-boot.test.ts).
    ...(process.env["VNVDIMM_TEST_KERNEL_APPEND"] ? { extraAppend: process.env["VNVDIMM_TEST_KERNEL_APPEND"] } : {}),
  });
  const pid = launchQemu(p, argv);
  const record: QemuRunRecord = {
    pid, accel, argv, ramBytes: layout.ramBytes, slots: layout.slots, maxmemBytes: layout.maxmemBytes, deviceMemoryBase: layout.deviceMemoryBase, nodes,
    windows: layout.windows.map((w) => ({ slot: w.slot, gpa: w.gpa, sizeBytes: w.sizeBytes })), initrdSha256: image.initrdSha256, startedAt: new Date().toISOString(),
  };
  writeRunRecord(p, record);
  return { ...record, badRanges: bad };
}

/** The serial console socket of a running qemu domain, for `vnvdimm console`. */
export function qemuConsoleSocket(state: string, name: string): string {
  const p = qemuDomainPaths(state, name);
  if (runningPid(p) === null) throw new QemuDomainError("qemu.not-running", `QEMU of domain ${name} is not running`, `start it with \`vnvdimm create\`; its last console output is in ${p.console}`);
  return p.consoleSocket;
}

export type QemuRunState = { pid: number; status: string } | { pid: null; status: "gone" };

/** QEMU's own view (QMP query-status), or "gone" when its process is not there. */
export async function qemuRunState(state: string, name: string): Promise<QemuRunState> {
  const p = qemuDomainPaths(state, name);
  const pid = runningPid(p);
  if (pid === null) return { pid: null, status: "gone" };
  try {
    const s = await withQmp(p.qmp, (q) => q.execute<{ status?: string }>("query-status"), 5_000);
    return { pid, status: typeof s?.status === "string" ? s.status : "unknown" };
  } catch {
    return { pid, status: "unresponsive" };
  }
}

export type StopHow = "poweroff" | "quit" | "kill" | "not-running";

/**
 * Stops the domain's QEMU: the guest powers off through its agent (after a
 * sync), else QMP quit, else signals. Then the host DIMM files are fsynced,
 * so that what the guest wrote is on the media before its pages leave it.
 */
export async function stopQemuDomain(state: string, name: string, dimmFiles: readonly string[]): Promise<StopHow> {
  const p = qemuDomainPaths(state, name);
  const pid = runningPid(p);
  let how: StopHow = "not-running";
  if (pid !== null) {
    if (isReady(readConsole(p.console))) {
      await agentPoweroff({ socket: p.agent, lock: p.agentLock }, 15_000).catch(() => undefined);
      if (await waitExit(p, pid, 5_000)) how = "poweroff";
    }
    if (how === "not-running") {
      await withQmp(p.qmp, (q) => q.execute("quit"), 5_000).catch(() => undefined);
      if (await waitExit(p, pid, 10_000)) how = "quit";
    }
    if (how === "not-running") {
      signal(pid, "SIGTERM");
      if (!(await waitExit(p, pid, 5_000))) { signal(pid, "SIGKILL"); await waitExit(p, pid, 5_000); }
      how = "kill";
    }
  }
  for (const f of new Set(dimmFiles)) {
    const fd = openSync(f, "r");
    try { fsyncSync(fd); } finally { closeSync(fd); }
  }
  return how;
}

/** The running guest, once its agent is READY (waits for the boot). */
export async function qemuGuest(state: string, name: string, bootTimeoutMs = 120_000): Promise<QemuGuest> {
  const p = qemuDomainPaths(state, name);
  if (runningPid(p) === null) throw new QemuDomainError("qemu.not-running", `QEMU of domain ${name} is not running`, `its guest powered off or crashed; see ${p.console}, then \`vnvdimm start ${name}\``);
  const ready = await waitReady(p.console, () => runningPid(p) !== null, bootTimeoutMs);
  if (!ready) throw new QemuDomainError("qemu.agent", `The guest of domain ${name} did not report READY`, `see ${p.console}`);
  return new QemuGuest({ socket: p.agent, lock: p.agentLock });
}

/**
 * Tells a running guest of broken pages now, through its agent, without
 * waiting for a boot. Undefined when the agent cannot be asked (QEMU gone,
 * the guest still booting, no answer): the caller then stops the domain.
 */
export async function tellQemuGuest(state: string, name: string, ranges: readonly GuestBadRange[], timeoutMs = 30_000): Promise<MarkResult | undefined> {
  const p = qemuDomainPaths(state, name);
  if (runningPid(p) === null || !isReady(readConsole(p.console))) return undefined;
  try {
    const r = await new QemuGuest({ socket: p.agent, lock: p.agentLock }).exec(markBadRangesScript(ranges), timeoutMs);
    return r.status === 0 ? parseMarkOutput(Buffer.from(r.stdout).toString("utf8")) : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Hotplug into a running QEMU: object-add of the extent's backend, then
 * device_add of the nvdimm at the window the layout gives it. QEMU builds
 * the new FIT and notifies the guest (Notify(NVDR, 0x80)).
 */
export async function hotplugQemu(state: string, b: BootedHost, d: LedgerDomain, layout: GuestLayout, e: LedgerExtent): Promise<void> {
  const p = qemuDomainPaths(state, d.name);
  const rec = readRunRecord(p);
  if (!rec || runningPid(p) === null) throw new QemuDomainError("qemu.not-running", `QEMU of domain ${d.name} is not running`);
  const nv = qemuNvdimm(b, layout, e);
  checkHotplugFits(rec, nv);
  await withQmp(p.qmp, async (q) => {
    await q.execute("object-add", backendProps(nv));
    try {
      await q.execute("device_add", deviceProps(nv));
    } catch (err) {
      await q.execute("object-del", { id: String(backendProps(nv)["id"]) }).catch(() => undefined);
      throw err;
    }
  });
  writeRunRecord(p, { ...rec, windows: [...rec.windows, { slot: nv.slot, gpa: nv.gpa, sizeBytes: nv.extentBytes - nv.labelBytes }] });
}

/** QEMU fixed slots, maxmem and the NUMA nodes at boot; a hotplugged DIMM must fit them. */
export function checkHotplugFits(rec: QemuRunRecord, nv: QemuVnvdimm): void {
  const size = nv.extentBytes - nv.labelBytes;
  const limit = rec.deviceMemoryBase + (rec.maxmemBytes - rec.ramBytes);
  const why = nv.slot >= rec.slots ? `slot ${nv.slot} is past the ${rec.slots} memory slots it booted with`
    : nv.node >= rec.nodes ? `node ${nv.node} is past its ${rec.nodes} NUMA nodes`
    : nv.gpa + size > limit ? `its device memory ends at 0x${limit.toString(16)}`
    : rec.windows.some((w) => w.slot === nv.slot || (nv.gpa < w.gpa + w.sizeBytes && w.gpa < nv.gpa + size)) ? `the window overlaps a DIMM it has`
    : undefined;
  if (why) throw new QemuDomainError("qemu.hotplug", `Cannot hotplug vNVDIMM slot ${nv.slot} into the running QEMU: ${why}`, "nothing was kept (the extent was zeroed and freed); to add it, stop the domain (`vnvdimm destroy`), attach it then, and start the domain again with `vnvdimm start`");
}
