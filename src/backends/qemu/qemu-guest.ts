// A running qemu domain's guest, reached through its agent: the same guest
// verbs as the builtin probe guest (namespaces, read, write), answered by
// the real Linux — its ndctl, its block devices, its device-dax mappings —
// plus exec, which only a real guest has.
import { agentRun, type AgentTarget } from "./agent-client.js";
import type { AgentReply } from "./agent-protocol.js";
import { LIST_NAMESPACES_SCRIPT, parseGuestNamespaces, type GuestNdctlNamespace } from "./ndctl-view.js";

export class QemuGuestError extends Error {
  constructor(readonly code: "guest.no-namespace" | "guest.range" | "guest.read-only" | "guest.command", message: string, readonly hint?: string) {
    super(message);
    this.name = "QemuGuestError";
  }
}

/** Bytes per write request: the agent port moves about 50 KB/s into the guest, so a request stays within seconds. */
const WRITE_CHUNK = 192 * 1024;
const DAXIO = "/usr/lib/vnvdimm/daxio.pl";

/** POSIX shell single-quoting. */
export const shellQuote = (s: string): string => `'${s.replaceAll("'", "'\\''")}'`;

/** Each argv word as one shell word, so `guest exec vm -- ndctl list -N` runs exactly that. */
const shellArg = (s: string): string => (/^[A-Za-z0-9_@%+=:,./-]+$/.test(s) ? s : shellQuote(s));

/** `bytes` fed to `cmd` on its stdin, base64 in a here-document (the agent's requests are text). */
const feedBase64 = (bytes: Uint8Array, cmd: string): string =>
  `base64 -d <<'VNVDIMM_DATA' | ${cmd}\n${Buffer.from(bytes).toString("base64").replace(/.{76}/g, "$&\n")}\nVNVDIMM_DATA\n`;

/** The most stdin a `guest exec` carries: it travels base64 inside the agent's request (16 MiB at most). */
export const MAX_EXEC_STDIN_BYTES = 8 << 20;
/** The command stopped by SIGTERM at its timeout: the shell reports 128 + 15. */
const KILLED_BY_TIMEOUT = 143;

/**
 * The guest enforces a timeout, so the command stops there and the agent is
 * free for the next request. The command runs in its own session, so the
 * whole process group is signalled (busybox timeout would stop only the
 * first process, and a `sh -c 'sleep 30'` would leave its sleep behind):
 * SIGTERM, then SIGKILL 2 s later.
 */
function withTimeout(script: string, seconds: number): string {
  return [
    `setsid sh -c ${shellQuote(script)} & p=$!`,
    `( sleep ${seconds}; kill -TERM -$p 2>/dev/null; sleep 2; kill -KILL -$p 2>/dev/null ) & w=$!`,
    "wait $p; rc=$?",
    "kill $w 2>/dev/null",
    "exit $rc",
  ].join("\n") + "\n";
}

export class QemuGuest {
  constructor(private readonly agent: AgentTarget) {}

  exec(script: string, timeoutMs = 120_000): Promise<AgentReply> {
    return agentRun(this.agent, script, timeoutMs);
  }

  /** `guest exec`: argv as shell words, optionally fed `stdin` and stopped after `timeoutS` seconds in the guest. */
  async run(argv: readonly string[], o: { timeoutS?: number; stdin?: Uint8Array } = {}): Promise<AgentReply & { timedOut: boolean }> {
    const cmd = argv.map(shellArg).join(" ");
    const fed = o.stdin ? feedBase64(o.stdin, cmd) : cmd;
    const started = Date.now();
    const r = await this.exec(o.timeoutS ? withTimeout(fed, o.timeoutS) : fed, o.timeoutS ? (o.timeoutS + 60) * 1000 : undefined);
    const timedOut = o.timeoutS !== undefined && r.status === KILLED_BY_TIMEOUT && Date.now() - started >= o.timeoutS * 1000;
    return { ...r, timedOut };
  }

  async namespaces(): Promise<GuestNdctlNamespace[]> {
    const r = await this.exec(LIST_NAMESPACES_SCRIPT);
    return parseGuestNamespaces(Buffer.from(r.stdout).toString("utf8"));
  }

  /** A namespace by label uuid or name. */
  async namespace(ref: string): Promise<GuestNdctlNamespace> {
    const all = await this.namespaces();
    const ns = all.find((n) => n.uuid === ref.toLowerCase()) ?? all.find((n) => n.name !== "" && n.name === ref);
    if (!ns) throw new QemuGuestError("guest.no-namespace", `The guest has no namespace ${ref}`, "see `vnvdimm guest namespaces`");
    return ns;
  }

  async read(ref: string, offset: bigint, length: number): Promise<Uint8Array> {
    const ns = await this.namespace(ref);
    checkRange(ns, offset, BigInt(length));
    if (length === 0) return new Uint8Array(0);
    const dev = shellQuote(`/dev/${ns.device}`);
    const script = ns.mode === "devdax"
      ? `perl ${DAXIO} read ${dev} ${offset} ${length} ${ns.alignBytes}`
      : `dd if=${dev} bs=65536 iflag=skip_bytes,count_bytes skip=${offset} count=${length} 2>/tmp/dd.err || { cat /tmp/dd.err >&2; exit 1; }`;
    // The agent port carries base64 out of the guest at about 180 KB/s: allow for it.
    const r = await this.exec(script, 60_000 + length / 50);
    if (r.status !== 0 || r.stdout.length !== length) throw commandError("read", ns, r);
    return r.stdout;
  }

  async write(ref: string, offset: bigint, bytes: Uint8Array): Promise<void> {
    const ns = await this.namespace(ref);
    checkRange(ns, offset, BigInt(bytes.length));
    if (ns.readOnly) throw new QemuGuestError("guest.read-only", `Namespace ${ref} is on a read-only (unarmed) region`, "unarmed vNVDIMMs cannot be written by the guest");
    const dev = shellQuote(`/dev/${ns.device}`);
    for (let at = 0; at < bytes.length; at += WRITE_CHUNK) {
      const chunk = bytes.subarray(at, Math.min(bytes.length, at + WRITE_CHUNK));
      const off = offset + BigInt(at);
      const sink = ns.mode === "devdax"
        ? `perl ${DAXIO} write ${dev} ${off} ${chunk.length} ${ns.alignBytes}`
        : `dd of=${dev} bs=65536 iflag=fullblock oflag=seek_bytes seek=${off} conv=notrunc,fsync 2>/tmp/dd.err || { cat /tmp/dd.err >&2; exit 1; }`;
      const r = await this.exec(feedBase64(chunk, sink));
      if (r.status !== 0) throw commandError("write", ns, r);
    }
  }
}

function checkRange(ns: GuestNdctlNamespace, offset: bigint, length: bigint): void {
  if (offset < 0n || offset + length > ns.sizeBytes) {
    throw new QemuGuestError("guest.range", `Bytes ${offset}..${offset + length} are outside namespace ${ns.name || ns.uuid || ns.namespace} (${ns.sizeBytes} bytes)`);
  }
}

function commandError(op: string, ns: GuestNdctlNamespace, r: AgentReply): QemuGuestError {
  const why = Buffer.from(r.stderr).toString("utf8").trim().split("\n").at(-1) ?? "";
  return new QemuGuestError("guest.command", `The guest could not ${op} /dev/${ns.device} (status ${r.status})${why ? `: ${why}` : ""}`);
}
