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

export class QemuGuest {
  constructor(private readonly agent: AgentTarget) {}

  exec(script: string, timeoutMs = 120_000): Promise<AgentReply> {
    return agentRun(this.agent, script, timeoutMs);
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
      const data = Buffer.from(chunk).toString("base64").replace(/.{76}/g, "$&\n");
      const r = await this.exec(`base64 -d <<'VNVDIMM_DATA' | ${sink}\n${data}\nVNVDIMM_DATA\n`);
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
