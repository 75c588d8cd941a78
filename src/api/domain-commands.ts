// Domain and guest verbs: create, list, destroy, delete, attach, detach,
// reclaim, and the guest's own view (namespaces, read, write, exec). A qemu
// domain's guest is the real Linux, asked through its agent; `probe` asks
// vnvdimm's probe guest about the same domain instead.
import {
  ConfigError, LifecycleError, LedgerError, ProvisionError, QemuDomainError, attachToDomain, createDomain, deleteDomain, destroyRunningDomain,
  detachFromDomain, listDomainsLive, showDomainLive, awaitBoot, openGuest, qemuConsoleSocket, startStoppedDomain, qemuGuest, readLedger, reclaimOrphans, refuseInterrupted, DomainBootError, type CreateResult, type ImagePolicy,
} from "../toolstack/index.js";
import { AgentError, LockTimeoutError, type BuiltinDomain, QemuArgvError, QemuGuestError, QemuLaunchError, QmpError, SetupError, MAX_EXEC_STDIN_BYTES, type QemuGuest } from "../backends/index.js";
import { GuestMemoryFault, NamespaceIoError } from "../devicemodel/index.js";
import { FormatError } from "../formats/index.js";
import type { Command } from "./command.js";
import { SUMMARY } from "./verbs.js";
import { UserError, type UserErrorCode } from "./errors.js";
import { asUserError, type StateInput } from "./host-commands.js";
import { setupUserError } from "./setup-commands.js";

const LIFECYCLE_CODES: Record<LifecycleError["code"], UserErrorCode> = {
  "domain.missing": "not-found", "vnvdimm.missing": "not-found",
  "domain.exists": "conflict", "domain.running": "conflict", "domain.stopped": "conflict", "domain.interrupted": "conflict", "alloc.failed": "conflict",
  "domain.changed": "conflict", "alloc.node": "invalid-input", "domain.memory": "invalid-config",
};

/** Turns every typed error of the layers below into a UserError. */
function toUserError(e: unknown): never {
  if (e instanceof UserError) throw e;
  if (e instanceof SetupError) throw setupUserError(e);
  if (e instanceof QemuDomainError) throw new UserError(e.code === "qemu.unplug" ? "conflict" : "invalid-input", e.message, e.hint, 1, e.code, e.detail);
  if (e instanceof QemuLaunchError) throw new UserError(e.code === "qemu.path" ? "io" : "invalid-input", e.message, e.hint, e.code === "qemu.path" ? 2 : 1, e.code);
  if (e instanceof QemuArgvError) throw new UserError("invalid-input", `Cannot build the QEMU command line: ${e.message}`, undefined, 1);
  if (e instanceof QemuGuestError) throw new UserError(e.code === "guest.no-namespace" ? "not-found" : "invalid-input", e.message, e.hint, e.code === "guest.no-namespace" ? 2 : 1, e.code);
  if (e instanceof QmpError) throw new UserError("conflict", `QEMU refused: ${e.desc}`, undefined, 1, "qmp.error");
  if (e instanceof AgentError) throw new UserError("io", e.message, "the guest may still be booting or may have stopped; see `vnvdimm list`", 2, "agent.error");
  if (e instanceof LockTimeoutError) throw new UserError("io", `Another vnvdimm command is talking to this guest (${e.message})`, "try again when it is done", 2, "agent.busy");
  // The hint goes on its own line (the CLI's `hint:`, the body's `hint`), so the message leaves it out.
  if (e instanceof ConfigError) throw new UserError("invalid-config", e.headline, e.hint || undefined, 2, e.code);
  if (e instanceof LifecycleError) throw new UserError(LIFECYCLE_CODES[e.code], e.message, e.hint, e.exit, e.code);
  if (e instanceof ProvisionError && e.code === "provision.image-denied") throw new UserError("forbidden", e.message, e.hint, 1, e.code);
  if (e instanceof LedgerError || e instanceof ProvisionError) {
    const conflict = e.code === "ledger.locked" || e.code === "provision.foreign-labels";
    throw new UserError(conflict ? "conflict" : "invalid-input", e.message, e.hint, 1, e.code);
  }
  if (e instanceof DomainBootError) throw new UserError("conflict", e.message, undefined, 1, e.failure.reason);
  if (e instanceof NamespaceIoError || e instanceof GuestMemoryFault) throw new UserError("invalid-input", `Guest I/O failed: ${e.message}`, undefined, 1);
  if (e instanceof FormatError) throw new UserError("invalid-input", e.message, undefined, 1);
  return asUserError(e);
}

/** Runs `fn`, turning every typed error of the layers below into a UserError. */
export function wrap<T>(fn: () => T): T {
  try {
    return fn();
  } catch (e) {
    toUserError(e);
  }
}

async function wrapAsync<T>(fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (e) {
    toUserError(e);
  }
}

export type Backend = "builtin" | "qemu";

export interface CreateInput extends StateInput {
  /** The xl-style config text. */
  config: string;
  /** Where the text came from, for messages ("vm1.cfg:3:5: …"); the file itself is never read here. */
  configFile?: string;
  force?: boolean;
  /** Overrides the config's `backend =`. */
  backend?: Backend;
  /** Where image= files may come from; default any file the caller can read (see ImagePolicy). */
  images?: ImagePolicy;
  /** Seconds a qemu guest gets to boot before create fails (DEFAULT_BOOT_TIMEOUT_S); 0 returns once QEMU runs. */
  bootTimeoutS?: number;
}
export const createCommand: Command<CreateInput, CreateResult> = {
  name: "create", summary: SUMMARY["create"],
  run: (i) => syncedAsync(i, () => wrapAsync(async () => awaitBoot(i.state, createDomain(i.state, {
    configText: i.config, ...(i.configFile ? { configFile: i.configFile } : {}), force: i.force ?? false, ...(i.backend ? { backend: i.backend } : {}),
    ...(i.images ? { images: i.images } : {}),
    ...(i.live ? { host: i.live.toolstack } : {}),
  }), bootWait(i)))),
};

export const startCommand: Command<StateInput & { name: string; backend?: Backend; bootTimeoutS?: number }, CreateResult> = {
  name: "start", summary: SUMMARY["start"],
  run: (i) => syncedAsync(i, () => wrapAsync(async () => awaitBoot(i.state,
    startStoppedDomain(i.state, i.name, { ...(i.backend ? { backend: i.backend } : {}), ...(i.live ? { host: i.live.toolstack } : {}) }), bootWait(i)))),
};

const bootWait = (i: { bootTimeoutS?: number }) => (i.bootTimeoutS !== undefined ? { timeoutS: i.bootTimeoutS } : {});

/** Runs a mutation, then brings the living host (if this process is one) in line with what it changed, even when it failed half-way. */
function synced<T>(i: StateInput, fn: () => T): T {
  try { return fn(); } finally { i.live?.sync(); }
}

async function syncedAsync<T>(i: StateInput, fn: () => Promise<T>): Promise<T> {
  try { return await fn(); } finally { i.live?.sync(); }
}

export const listCommand: Command<StateInput, Awaited<ReturnType<typeof listDomainsLive>>> = {
  name: "list", summary: SUMMARY["list"],
  run: (i) => wrapAsync(() => listDomainsLive(i.state, i.live?.list())),
};

export const showCommand: Command<StateInput & { name: string }, Awaited<ReturnType<typeof showDomainLive>>> = {
  name: "show", summary: SUMMARY["show"],
  run: (i) => wrapAsync(() => showDomainLive(i.state, i.name, i.live?.list())),
};

export const destroyCommand: Command<StateInput & { name: string }, Awaited<ReturnType<typeof destroyRunningDomain>>> = {
  name: "destroy", summary: SUMMARY["destroy"],
  run: (i) => syncedAsync(i, () => wrapAsync(() => destroyRunningDomain(i.state, i.name))),
};

type Progress = { onProgress?: (label: string, done: number, total: number) => void };

export const deleteCommand: Command<StateInput & Progress & { name: string; keepData?: boolean }, ReturnType<typeof deleteDomain>> = {
  name: "delete", summary: SUMMARY["delete"],
  run: (i) => synced(i, () => wrap(() => deleteDomain(i.state, i.name, { keepData: i.keepData ?? false, ...(i.onProgress ? { onProgress: i.onProgress } : {}) }))),
};

export const attachCommand: Command<StateInput & { name: string; spec: string; force?: boolean; images?: ImagePolicy }, Awaited<ReturnType<typeof attachToDomain>>> = {
  name: "attach", summary: SUMMARY["attach"],
  run: (i) => wrapAsync(async () => {
    let r: Awaited<ReturnType<typeof attachToDomain>> | undefined;
    try {
      r = await attachToDomain(i.state, i.name, i.spec, { force: i.force ?? false, ...(i.images ? { images: i.images } : {}), ...(i.live ? { host: i.live.toolstack } : {}) });
    } finally {
      const live = i.live?.sync();
      if (r && live?.hotplugged.some((h) => h.name === i.name && h.id === r!.extent.id)) r = { ...r, hotplugged: true };
    }
    return r;
  }),
};

export const detachCommand: Command<StateInput & Progress & { name: string; id: string }, ReturnType<typeof detachFromDomain>> = {
  name: "detach", summary: SUMMARY["detach"],
  run: (i) => synced(i, () => wrap(() => {
    // The unplug handshake with a running guest comes first: its pages leave the P2M before they are zeroed.
    if (readLedger(i.state).domains.some((d) => d.name === i.name && d.backend === "builtin")) i.live?.release(i.name, i.id);
    return detachFromDomain(i.state, i.name, i.id, { ...(i.onProgress ? { onProgress: i.onProgress } : {}) });
  })),
};

export const reclaimCommand: Command<StateInput & Progress & { scrub?: boolean }, ReturnType<typeof reclaimOrphans>> = {
  name: "reclaim", summary: SUMMARY["reclaim"],
  run: (i) => synced(i, () => wrap(() => reclaimOrphans(i.state, { scrub: i.scrub ?? false, ...(i.onProgress ? { onProgress: i.onProgress } : {}) }))),
};

export interface GuestNamespaceRow { uuid: string | null; name: string; size: bigint; mode: string; dimm: number; readOnly: boolean }

/** A guest verb's input: `probe` asks vnvdimm's probe guest even when the domain runs a real Linux. */
export type GuestInput = StateInput & { name: string; probe?: boolean };

/** The real Linux of a running qemu domain, or undefined when the probe guest answers (builtin, or probe). */
async function realGuest(i: GuestInput): Promise<QemuGuest | undefined> {
  if (i.probe) return undefined;
  const d = readLedger(i.state).domains.find((x) => x.name === i.name);
  if (d) refuseInterrupted(d);
  if (d?.backend !== "qemu") return undefined;
  if (d.status !== "running") throw new LifecycleError("domain.stopped", `Domain ${i.name} is not running`, `start it with \`vnvdimm start ${i.name}\``);
  return qemuGuest(i.state, i.name);
}

/**
 * Runs `fn` on the probe guest of a builtin domain (or of a qemu domain with
 * probe): the living host's running guest when this process is one, else a
 * guest session booted for this command.
 */
function withProbeGuest<T>(i: GuestInput, fn: (guest: BuiltinDomain) => T, o: { readOnly?: boolean } = {}): T {
  const d = readLedger(i.state).domains.find((x) => x.name === i.name);
  if (i.live && d?.backend === "builtin") return fn(i.live.guest(i.name));
  const g = openGuest(i.state, i.name, { probe: i.probe ?? false, readOnly: o.readOnly ?? false });
  try { return fn(g.domain); } finally { g.close(); }
}

export const guestNamespacesCommand: Command<GuestInput, { namespaces: GuestNamespaceRow[] }> = {
  name: "guest namespaces", summary: SUMMARY["guest namespaces"],
  run: (i) => wrapAsync(async () => {
    const real = await realGuest(i);
    if (real) return { namespaces: (await real.namespaces()).map((n) => ({ uuid: n.uuid, name: n.name, size: n.sizeBytes, mode: n.mode, dimm: n.dimm, readOnly: n.readOnly })) };
    return withProbeGuest(i, (g) => {
      const v = g.guest.view();
      return { namespaces: v.namespaces.map((n) => ({ uuid: n.uuid, name: n.name, size: g.guest.io(n).sizeBytes, mode: n.mode, dimm: n.handle - 1, readOnly: n.readOnly })) };
    }, { readOnly: true });
  }),
};

function guestNs(g: BuiltinDomain, ref: string) {
  const ns = g.guest.namespace(ref);
  if (!ns) throw new UserError("not-found", `The guest has no namespace ${ref}`, "see `vnvdimm guest namespaces`");
  return g.guest.io(ns);
}

export const guestWriteCommand: Command<GuestInput & { namespace: string; offset: bigint; bytes: Uint8Array }, { written: number }> = {
  name: "guest write", summary: SUMMARY["guest write"],
  run: (i) => wrapAsync(async () => {
    if (i.probe && readLedger(i.state).domains.find((x) => x.name === i.name)?.backend === "qemu") {
      throw new UserError("invalid-input", "The probe guest does not write to a qemu domain: its real guest owns the media while it runs", "write through the real guest (without --probe)", 1);
    }
    const real = await realGuest(i);
    if (real) {
      await real.write(i.namespace, i.offset, i.bytes);
      return { written: i.bytes.length };
    }
    return withProbeGuest({ ...i, probe: false }, (g) => {
      guestNs(g, i.namespace).write(i.offset, i.bytes);
      return { written: i.bytes.length };
    });
  }),
};

export const guestReadCommand: Command<GuestInput & { namespace: string; offset: bigint; length: number }, { bytes: Uint8Array }> = {
  name: "guest read", summary: SUMMARY["guest read"],
  run: (i) => wrapAsync(async () => {
    const real = await realGuest(i);
    if (real) return { bytes: await real.read(i.namespace, i.offset, i.length) };
    return withProbeGuest(i, (g) => ({ bytes: guestNs(g, i.namespace).read(i.offset, i.length) }), { readOnly: true });
  }),
};

export interface GuestArsOutput {
  /** What an Address Range Scrub in the guest finds now: guest-physical ranges, by NFIT handle. */
  records: { handle: number; address: bigint; length: bigint }[];
  /** What the running guest's driver did about notifications (a living host only). */
  events: { at: string; kind: string; records: number }[];
}

export const guestArsCommand: Command<GuestInput, GuestArsOutput> = {
  name: "guest ars", summary: SUMMARY["guest ars"],
  run: (i) => wrapAsync(async () => {
    const d = readLedger(i.state).domains.find((x) => x.name === i.name);
    if (d?.backend === "qemu" && !i.probe) {
      throw new UserError("invalid-input", `QEMU's NVDIMM has no ARS, so the real guest of ${i.name} cannot scrub`, "ask vnvdimm's probe guest with --probe; the real guest sees broken pages as badblocks at its next boot", 1, "ars.unsupported");
    }
    return withProbeGuest(i, (g) => ({
      records: g.guest.ars().map((r) => ({ handle: r.handle, address: r.address, length: r.length })),
      events: g.events.map((e) => ({ at: e.at, kind: e.kind, records: e.records?.length ?? 0 })),
    }), { readOnly: true });
  }),
};

export { MAX_EXEC_STDIN_BYTES };

export const guestExecCommand: Command<StateInput & { name: string; argv: string[]; timeoutS?: number; stdin?: Uint8Array }, { stdout: Uint8Array; stderr: Uint8Array; status: number; timedOut: boolean }> = {
  name: "guest exec", summary: SUMMARY["guest exec"],
  run: (i) => wrapAsync(async () => {
    const d = readLedger(i.state).domains.find((x) => x.name === i.name);
    if (!d) throw new LifecycleError("domain.missing", `No domain named ${i.name}`, "see `vnvdimm list`", 2);
    refuseInterrupted(d);
    if (d.backend !== "qemu") throw new UserError("invalid-input", `Domain ${i.name} runs the builtin probe guest, which has no shell`, "create it with `--backend qemu` for a real Linux guest", 1);
    if (i.stdin && i.stdin.length > MAX_EXEC_STDIN_BYTES) throw new UserError("invalid-input", `stdin of ${i.stdin.length} bytes is more than guest exec carries (${MAX_EXEC_STDIN_BYTES})`, "copy large data with `vnvdimm guest write` instead", 1);
    const g = await realGuest(i);
    const r = await g!.run(i.argv, { ...(i.timeoutS ? { timeoutS: i.timeoutS } : {}), ...(i.stdin ? { stdin: i.stdin } : {}) });
    return { stdout: r.stdout, stderr: r.stderr, status: r.status, timedOut: r.timedOut };
  }),
};

/**
 * Where `vnvdimm console` attaches: the running qemu domain's serial console
 * socket. Local only (the CLI connects to it itself), so it has no route.
 */
export const consoleCommand: Command<StateInput & { name: string }, { socket: string }> = {
  name: "console", summary: SUMMARY["console"],
  run: (i) => wrap(() => {
    const real = readLedger(i.state).domains.find((x) => x.name === i.name);
    if (!real) throw new LifecycleError("domain.missing", `No domain named ${i.name}`, "see `vnvdimm list`", 2);
    refuseInterrupted(real);
    if (real.backend !== "qemu") throw new UserError("invalid-input", `Domain ${i.name} runs the builtin probe guest, which has no console`, "create it with `--backend qemu` for a real Linux guest", 1);
    return { socket: qemuConsoleSocket(i.state, i.name) };
  }),
};

