// The QEMU command line of a vnvdimm domain. Pure: the same description
// always gives the same argv, and every vNVDIMM maps exactly its host extent:
//   -object memory-backend-file,share=on,mem-path=<host DIMM>,offset=<extent>,size=<extent bytes>
//   -device nvdimm,memdev=…,slot=<slot>,addr=<window>,label-size=<label bytes>[,unarmed=on][,node=N]
// so the label area is the extent's tail (QEMU puts it at the backend's
// last label-size bytes) and the window is where the builtin device model
// puts it (planGuestLayout). The host DIMM file is opened read-only for an
// unarmed vNVDIMM (QEMU accepts readonly=on only with unarmed=on).

export type QemuAccel = "tcg" | "kvm";

export interface QemuVnvdimm {
  slot: number;
  /** The host DIMM file (or device) and the extent's byte offset in it. */
  memPath: string;
  offsetBytes: bigint;
  /** The whole extent: window plus label area. */
  extentBytes: bigint;
  labelBytes: bigint;
  /** Guest-physical base of the window. */
  gpa: bigint;
  node: number;
  unarmed: boolean;
}

export interface QemuDomainSpec {
  name: string;
  ramMiB: number;
  vcpus: number;
  /** -m slots= and maxmem= (from the guest layout). */
  slots: number;
  maxmemBytes: bigint;
  /** Guest NUMA nodes; 1 means no -numa options. */
  nodes: number;
  accel: QemuAccel;
  kernel: string;
  initrd: string;
  agentScript: string;
  /** The broken pages for the agent to mark (badblocks.ts). */
  badblocksFile: string;
  /** More kernel parameters, after vnvdimm's own (tests use it to make a boot fail). */
  extraAppend?: string;
  consoleLog: string;
  /** The console's unix socket (`vnvdimm console`); QEMU logs the guest's output to consoleLog whether or not anyone is attached. */
  consoleSocket: string;
  agentSocket: string;
  qmpSocket: string;
  pidFile: string;
  nvdimms: readonly QemuVnvdimm[];
}

export class QemuArgvError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "QemuArgvError";
  }
}

/** QEMU option values escape a comma by doubling it. */
export const optValue = (s: string): string => s.replaceAll(",", ",,");

const hex = (n: bigint): string => `0x${n.toString(16)}`;

/** Sizes QEMU parses with suffixes: a plain number after -m means MiB, so say the unit. */
export function sizeArg(bytes: bigint): string {
  for (const [unit, shift] of [["G", 30n], ["M", 20n], ["K", 10n]] as const) {
    if (bytes > 0n && bytes % (1n << shift) === 0n) return `${bytes >> shift}${unit}`;
  }
  return `${bytes}B`;
}

export const memdevId = (slot: number): string => `mem${slot}`;
export const nvdimmId = (slot: number): string => `nvdimm${slot}`;

/** The -object value of one vNVDIMM's backend (also the QMP object-add arguments). */
export function backendProps(d: QemuVnvdimm): Record<string, string | boolean | number> {
  return {
    "qom-type": "memory-backend-file", id: memdevId(d.slot), share: true, "mem-path": d.memPath,
    offset: Number(d.offsetBytes), size: Number(d.extentBytes), ...(d.unarmed ? { readonly: true } : {}),
  };
}

/** The -device value of one vNVDIMM (also the QMP device_add arguments). */
export function deviceProps(d: QemuVnvdimm): Record<string, string | boolean | number> {
  return {
    driver: "nvdimm", id: nvdimmId(d.slot), memdev: memdevId(d.slot), slot: d.slot, addr: Number(d.gpa), "label-size": Number(d.labelBytes),
    ...(d.unarmed ? { unarmed: true } : {}), ...(d.node !== 0 ? { node: d.node } : {}),
  };
}

function checkNvdimm(d: QemuVnvdimm, nodes: number): void {
  const page = 4096n;
  if (d.offsetBytes < 0n || d.offsetBytes % page || d.extentBytes % page || d.labelBytes % page) throw new QemuArgvError(`vNVDIMM slot ${d.slot}: offset, size and label size must be whole 4 KiB pages`);
  if (d.labelBytes < 128n << 10n || d.extentBytes <= d.labelBytes) throw new QemuArgvError(`vNVDIMM slot ${d.slot}: the label area must be at least 128 KiB and smaller than the extent`);
  if (d.node >= nodes) throw new QemuArgvError(`vNVDIMM slot ${d.slot}: node ${d.node} needs ${d.node + 1} guest NUMA nodes`);
  if (d.memPath.includes("\0")) throw new QemuArgvError(`vNVDIMM slot ${d.slot}: bad backing path`);
  // QMP carries numbers as JSON numbers: keep them exact.
  if (d.offsetBytes + d.extentBytes > BigInt(Number.MAX_SAFE_INTEGER) || d.gpa + d.extentBytes > BigInt(Number.MAX_SAFE_INTEGER)) throw new QemuArgvError(`vNVDIMM slot ${d.slot}: offsets past 2^53 bytes`);
}

export function buildQemuArgv(s: QemuDomainSpec): string[] {
  if (!Number.isInteger(s.ramMiB) || s.ramMiB < 16) throw new QemuArgvError(`guest RAM ${s.ramMiB} MiB is too small`);
  if (!Number.isInteger(s.vcpus) || s.vcpus < 1) throw new QemuArgvError(`vcpus ${s.vcpus} must be at least 1`);
  if (s.nodes < 1) throw new QemuArgvError("a guest has at least one NUMA node");
  for (const d of s.nvdimms) checkNvdimm(d, s.nodes);
  const slots = new Set(s.nvdimms.map((d) => d.slot));
  if (slots.size !== s.nvdimms.length) throw new QemuArgvError("two vNVDIMMs share a slot");
  const ramBytes = BigInt(s.ramMiB) << 20n;
  const argv = [
    "-name", `guest=vnvdimm-${optValue(s.name)},debug-threads=off`,
    "-machine", "pc,nvdimm=on",
    "-accel", s.accel,
    "-smp", String(s.vcpus),
    "-m", `${sizeArg(ramBytes)},slots=${s.slots},maxmem=${sizeArg(s.maxmemBytes)}`,
    "-nodefaults", "-no-user-config", "-display", "none", "-no-reboot",
    // ttyS0: the console, a socket for `vnvdimm console` that also logs all guest output to a file; ttyS1: the guest agent's port; then QMP.
    "-chardev", `socket,id=console,path=${optValue(s.consoleSocket)},server=on,wait=off,logfile=${optValue(s.consoleLog)}`, "-serial", "chardev:console",
    "-chardev", `socket,id=agent,path=${optValue(s.agentSocket)},server=on,wait=off`, "-serial", "chardev:agent",
    "-chardev", `socket,id=qmp,path=${optValue(s.qmpSocket)},server=on,wait=off`, "-mon", "chardev=qmp,mode=control",
  ];
  if (s.nodes > 1) {
    // All RAM and vCPUs on node 0; the other nodes hold only vNVDIMMs (memory-less, as a pmem-only socket).
    argv.push("-object", `memory-backend-ram,id=ram0,size=${sizeArg(ramBytes)}`, "-numa", `node,nodeid=0,memdev=ram0,cpus=0-${s.vcpus - 1}`);
    for (let n = 1; n < s.nodes; n++) argv.push("-numa", `node,nodeid=${n}`);
  }
  for (const d of [...s.nvdimms].sort((a, b) => a.slot - b.slot)) {
    argv.push("-object", propsText(backendProps(d), "qom-type"), "-device", propsText(deviceProps(d), "driver"));
  }
  argv.push(
    "-kernel", s.kernel, "-initrd", s.initrd, "-append", `console=ttyS0 panic=-1 quiet${s.extraAppend ? ` ${s.extraAppend}` : ""}`,
    "-fw_cfg", `name=opt/vnvdimm/agent,file=${optValue(s.agentScript)}`,
    "-fw_cfg", `name=opt/vnvdimm/badblocks,file=${optValue(s.badblocksFile)}`,
    // seccomp: no obsolete syscalls, no scheduler or resource-limit changes. spawn= and
    // elevateprivileges= would also forbid the fork and setsid that -daemonize needs.
    "-sandbox", "on,obsolete=deny,resourcecontrol=deny",
    "-daemonize", "-pidfile", s.pidFile,
  );
  return argv;
}

/** "memory-backend-file,id=mem0,share=on,…": the type first, then the properties in a fixed order. */
function propsText(p: Record<string, string | boolean | number>, typeKey: string): string {
  const parts = [String(p[typeKey])];
  for (const [k, v] of Object.entries(p)) {
    if (k === typeKey) continue;
    const text = typeof v === "boolean" ? (v ? "on" : "off") : k === "addr" ? hex(BigInt(v)) : String(v);
    parts.push(`${k}=${typeof v === "string" ? optValue(text) : text}`);
  }
  return parts.join(",");
}
