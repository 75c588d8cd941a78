// Host and pmem verbs (`vnvdimm host …`, `vnvdimm pmem …`), one command object
// each. Every command boots the host from its media and state first: a host
// reboot is a restart of the process.
import { existsSync } from "node:fs";
import { CONTROL_DOMID, PAGE_BYTES, type PmemMgmtPlacement, type PmemRegionInfo, type RegionType } from "../hypervisor/index.js";
import { addBadBlock, addEmulatedDimm, hostPaths, createEmulatedHost, defaultMachineSpec, parseMachineSpec, writeBootOptions, HostError, SpecError, type MachineSpec } from "../host/index.js";
import { applyMcePolicy, forgetLostReservation, holderNames, openToolstack, pageHolders, rememberReserved, withLedgerLock, LedgerError, type BootedHost, type LiveHost, type MceAction, type Toolstack } from "../toolstack/index.js";
import { reserve, ReserveError, type ReserveResult } from "../dom0/index.js";
import type { Command } from "./command.js";
import { SUMMARY } from "./verbs.js";
import { UserError, fsUserError } from "./errors.js";
import { readUserFile } from "./read-file.js";

export interface StateInput {
  state: string;
  pmemMgmt?: PmemMgmtPlacement;
  /** The living host when this process is `vnvdimm up`; otherwise each command boots one from the state directory. */
  live?: LiveHost;
}

/** Turns the lower layers' typed errors into one-line user errors. */
export function asUserError(e: unknown): never {
  if (e instanceof HostError) {
    const code = e.code === "host.missing" ? "not-found" : e.code === "host.exists" ? "conflict" : e.code === "host.state-dir" ? "usage" : "invalid-input";
    throw new UserError(code, e.message, e.hint, e.code === "host.corrupt" ? 1 : 2, e.code);
  }
  if (e instanceof SpecError) throw new UserError("invalid-config", e.message, "fix the spec file; see `vnvdimm host init --help`", 2, "spec.invalid");
  if (e instanceof ReserveError) {
    const code = e.code === "reserve.not-found" ? "not-found" : e.code === "reserve.corrupt-labels" ? "invalid-input" : "conflict";
    throw new UserError(code, e.message, e.hint, e.code === "reserve.in-use" ? 1 : 2, e.code);
  }
  if (e instanceof LedgerError) throw new UserError(e.code === "ledger.locked" ? "conflict" : "invalid-input", e.message, e.hint, 1, e.code);
  throw fsUserError(e) ?? e;
}

/**
 * Runs `fn` on the living host's toolstack, or on one booted for this
 * command with its running domains started (so that their pages count as
 * owned); `readOnly` for a command that only reads (the media are opened
 * read-only). Lower layers' errors come out as one-line UserErrors.
 */
function withToolstack<T>(input: StateInput, fn: (ts: Toolstack) => T, o: { readOnly?: boolean } = {}): T {
  if (input.live && !input.pmemMgmt) {
    try { return fn(input.live.toolstack); } catch (e) { asUserError(e); }
  }
  let ts: Toolstack;
  try {
    ts = openToolstack(input.state, { readOnly: o.readOnly ?? false, ...(input.pmemMgmt ? { pmemMgmt: input.pmemMgmt } : {}) });
  } catch (e) {
    asUserError(e);
  }
  try {
    return fn(ts);
  } catch (e) {
    asUserError(e);
  } finally {
    ts.close();
  }
}

/** withToolstack, for a command that needs only the booted host. */
export function withHost<T>(input: StateInput, fn: (b: BootedHost) => T, o: { readOnly?: boolean } = {}): T {
  return withToolstack(input, (ts) => fn(ts.booted), o);
}

/** A machine spec is a few hundred bytes; this is far more than any. */
const MAX_SPEC_BYTES = 1 << 20;

export interface HostInitInput { state: string; specFile?: string; force?: boolean; pmemMgmt?: PmemMgmtPlacement; onProgress?: (done: number, total: number) => void }

export const hostInitCommand: Command<HostInitInput, { state: string; spec: MachineSpec; dimms: { index: number; node: number; path: string; spa: bigint; sizeBytes: bigint; labelSizeBytes: bigint; handle: number }[] }> = {
  name: "host init",
  summary: SUMMARY["host init"],
  run(input) {
    let spec: MachineSpec;
    try {
      if (input.specFile) {
        const hint = "pass a JSON file like the default (`vnvdimm host init --print-default-spec`)";
        const text = readUserFile(input.specFile, { what: "machine spec", maxBytes: MAX_SPEC_BYTES, hint }).toString("utf8");
        let raw: unknown;
        try { raw = JSON.parse(text); } catch {
          throw new UserError("invalid-input", `Cannot read machine spec ${input.specFile}: not valid JSON`, hint);
        }
        spec = parseMachineSpec(raw, input.specFile);
      } else spec = defaultMachineSpec();
      return withStateLock(input.state, () => initUnderLock(input, spec));
    } catch (e) {
      if (e instanceof UserError) throw e;
      asUserError(e);
    }
  },
};

/**
 * Runs `fn` under the toolstack lock when the state directory holds a host,
 * so that a media rewrite never races a create or a delete.
 */
function withStateLock<T>(state: string, fn: () => T): T {
  return existsSync(hostPaths(state).spec) ? withLedgerLock(state, fn) : fn();
}

function initUnderLock(input: HostInitInput, spec: MachineSpec) {
  const held = input.force ? pageHolders(input.state) : [];
  if (held.length) {
    throw new UserError("conflict", `Refusing to recreate the host: domains hold pages on its NVDIMMs (${holderNames(held)})`,
      "destroy and delete them first (`vnvdimm destroy NAME && vnvdimm delete NAME`), or use another --state", 1, "host.in-use");
  }
  const host = createEmulatedHost(input.state, spec, { force: input.force ?? false, ...(input.onProgress ? { onProgress: input.onProgress } : {}) });
  writeBootOptions(input.state, { pmemMgmt: input.pmemMgmt ?? "ram" });
  return { state: input.state, spec, dimms: host.dimms.map((d) => ({ index: d.index, node: d.node, path: d.path, spa: d.spa, sizeBytes: d.sizeBytes, labelSizeBytes: d.labelSizeBytes, handle: d.handle })) };
}

export interface RegionRow { type: RegionType; smfn: number; emfn: number; pxm: number | null; mgmtSmfn?: number | null; mgmtEmfn?: number | null; placement?: string; freePages?: number; ownedPages?: number; brokenPages?: number }

function row(r: PmemRegionInfo): RegionRow {
  const base = { type: r.type, smfn: r.smfn, emfn: r.emfn, pxm: r.pxm ?? null };
  if (r.type !== "data") return base;
  return { ...base, mgmtSmfn: r.mgmtSmfn ?? null, mgmtEmfn: r.mgmtEmfn ?? null, placement: r.placement, freePages: r.freePages, ownedPages: r.ownedPages, brokenPages: r.brokenPages };
}

function regions(b: BootedHost, types: RegionType[]): RegionRow[] {
  return types.flatMap((t) => {
    const r = b.hv.pmemGetRegions(CONTROL_DOMID, t);
    if (!r.ok) throw new UserError("invalid-input", r.message);
    return r.value.map(row);
  });
}

export const pmemListCommand: Command<StateInput & { types: RegionType[] }, { regions: RegionRow[] }> = {
  name: "pmem list",
  summary: SUMMARY["pmem list"],
  run: (input) => withHost(input, (b) => ({ regions: regions(b, input.types.length ? input.types : ["raw", "mgmt", "data"]) }), { readOnly: true }),
};

export const pmemSetupCommand: Command<StateInput & { type: "mgmt" | "data"; smfn: number; emfn: number; mgmtSmfn?: number; mgmtEmfn?: number }, { region: RegionRow; regions: RegionRow[] }> = {
  name: "pmem setup",
  summary: SUMMARY["pmem setup"],
  run: (input) => withHost(input, (b) => {
    const r = b.hv.pmemSetup(CONTROL_DOMID, { type: input.type, smfn: input.smfn, emfn: input.emfn, ...(input.mgmtSmfn !== undefined ? { mgmtSmfn: input.mgmtSmfn, mgmtEmfn: input.mgmtEmfn! } : {}) });
    if (!r.ok) throw new UserError("conflict", `pmem setup refused: ${r.errno} (${r.reason}): ${r.message}`, "see `vnvdimm pmem list --raw` for the ranges it can use", 1, r.reason);
    return { region: row(r.value), regions: regions(b, ["raw", "mgmt", "data"]) };
  }),
};

export interface PmemReserveInput extends StateInput { namespace?: string; dimm?: number; mgmt: "ram" | "pmem"; force?: boolean; labels?: "1.1" | "1.2" }

export const pmemForgetCommand: Command<StateInput & { uuid: string }, { uuid: string; forgotten: boolean }> = {
  name: "pmem forget",
  summary: SUMMARY["pmem forget"],
  run: (input) => withStateLock(input.state, () => {
    // The living host's view when there is one: it booted before any forget.
    const lost = withHost(input, (b) => b.lost, { readOnly: true });
    const l = lost.find((x) => x.uuid === input.uuid.toLowerCase());
    if (!l) {
      throw new UserError("not-found", `No lost reservation ${input.uuid}`, lost.length ? `the lost ones: ${lost.map((x) => x.uuid).join(", ")}` : "`vnvdimm host status` lists lost reservations; there are none");
    }
    return { uuid: l.uuid, forgotten: forgetLostReservation(input.state, l.uuid, input.live?.toolstack.booted) };
  }),
};

export const pmemReserveCommand: Command<PmemReserveInput, ReserveResult & { setup: RegionRow[] }> = {
  name: "pmem reserve",
  summary: SUMMARY["pmem reserve"],
  run(input) {
    if ((input.namespace === undefined) === (input.dimm === undefined)) throw new UserError("usage", "pmem reserve needs exactly one of --namespace UUID or --dimm N");
    try {
      return withStateLock(input.state, () => reserveUnderLock(input));
    } catch (e) {
      if (e instanceof UserError) throw e;
      asUserError(e);
    }
  },
};

/** With --force, a namespace holding domains' pages would be rewritten under them: refused, naming them. */
function refuseIfHeld(b: BootedHost, input: PmemReserveInput): void {
  if (!input.force || input.namespace === undefined) return;
  const target = input.namespace.toLowerCase();
  for (const { dimm, scan } of b.dimms) {
    const ns = scan.namespaces.find((n) => n.uuid === target || (n.name !== "" && n.name === input.namespace));
    if (!ns) continue;
    const held = pageHolders(input.state, { spa: dimm.spa + (ns.dpa - dimm.mappingDpa), sizeBytes: ns.sizeBytes });
    if (held.length) {
      throw new UserError("conflict", `Refusing to reserve namespace ${input.namespace} again: domains hold pages in it (${holderNames(held)})`,
        "destroy and delete them first; --force never overwrites pages a domain holds", 1, "reserve.held");
    }
  }
}

function reserveUnderLock(input: PmemReserveInput): ReserveResult & { setup: RegionRow[] } {
  const result = withHost(input, (b) => {
    refuseIfHeld(b, input);
    const view = b.dimms.map(({ dimm, dsm, data }) => ({ dimm, dsm, data }));
    if (input.dimm !== undefined) {
      const d = b.host.dimms[input.dimm];
      const target = d && view.find((v) => v.dimm.handle === d.handle);
      if (!target) throw new UserError("not-found", `No NVDIMM ${input.dimm} on this host (it has ${b.host.dimms.length})`, "list them with `vnvdimm host status`");
      return reserve({ target: { dimm: target.dimm }, mgmt: input.mgmt, force: input.force ?? false, ...(input.labels ? { labels: input.labels } : {}) }, view);
    }
    return reserve({ target: { namespace: input.namespace! }, mgmt: input.mgmt, force: input.force ?? false }, view);
  });
  rememberReserved(input.state, result);
  // A living host's dom0 reports the new record now; otherwise reboot and let it set it up, as at every boot.
  input.live?.rescanReservations();
  const setup = withHost(input, (b) => {
    const rep = b.reservations.find((r) => r.record.uuid === result.record.uuid);
    if (rep?.error) throw new UserError("conflict", `reservation written, but the hypervisor refused it: ${rep.error.message}`, undefined, 1, rep.error.reason);
    return [rep?.mgmt, rep?.data].filter((x): x is PmemRegionInfo => x !== undefined).map(row);
  });
  return { ...result, setup };
}

export interface MceOutput {
  mfn: number; owner: number | null; domain: string | null; region: string; alreadyBroken: boolean; guestTold: boolean;
  /** What the owner's on_mce did: only for an owner whose backend cannot take the page from its guest (qemu). */
  onMce?: MceAction;
  /** No running domain owned the page, but a stopped one (or a kept extent) holds it: its guest finds it at its next boot. */
  heldBy?: string;
}

export const hostMceCommand: Command<StateInput & { mfn: number }, MceOutput> = {
  name: "host mce",
  summary: SUMMARY["host mce"],
  run: async (input) => {
    const refuse = (r: { errno: string; reason: string; message: string }) => new UserError("invalid-input", `mce refused: ${r.errno} (${r.reason}): ${r.message}`, "the MFN must lie in a pmem region; see `vnvdimm pmem list`", 1, r.reason);
    let out: MceOutput;
    if (input.live) {
      const r = input.live.mce(input.mfn);
      if (!r.ok) throw refuse(r);
      out = { mfn: input.mfn, owner: r.value.owner ?? null, domain: r.value.domain, region: r.value.region, alreadyBroken: r.value.alreadyBroken, guestTold: r.value.guestTold };
    } else {
      out = withToolstack(input, (ts) => {
        const r = ts.booted.hv.mceInject(CONTROL_DOMID, input.mfn);
        if (!r.ok) throw refuse(r);
        addBadBlock(input.state, input.mfn);
        const domain = [...ts.running.values()].find((d) => d.domid === r.value.owner)?.name ?? null;
        // No guest runs between commands without `vnvdimm up`: the owner learns of the page through ARS at its next look.
        return { mfn: input.mfn, owner: r.value.owner ?? null, domain, region: r.value.region, alreadyBroken: r.value.alreadyBroken, guestTold: false };
      });
    }
    if (out.owner === null && !out.alreadyBroken) {
      const held = holderNames(pageHolders(input.state, { spa: BigInt(input.mfn) * BigInt(PAGE_BYTES), sizeBytes: BigInt(PAGE_BYTES) }));
      return held ? { ...out, heldBy: held } : out;
    }
    if (!out.domain || out.alreadyBroken) return out;
    let action: MceAction | undefined;
    try {
      action = await applyMcePolicy(input.state, out.domain, input.mfn);
    } catch (e) {
      asUserError(e);
    } finally {
      input.live?.sync();
    }
    return { ...out, ...(action ? { onMce: action, guestTold: action.action === "told" } : {}) };
  },
};

export interface AddDimmOutput {
  index: number; node: number; handle: number; spa: bigint; sizeBytes: bigint; labelSizeBytes: bigint; path: string;
  /** A living host took it at once (dom0 reported its raw range); otherwise the next boot finds it. */
  hotplugged: boolean;
}

export const hostAddDimmCommand: Command<StateInput & { node: number; size: string; labelSize?: string }, AddDimmOutput> = {
  name: "host add-dimm",
  summary: SUMMARY["host add-dimm"],
  run: (input) => {
    try {
      return withStateLock(input.state, () => {
        const host = addEmulatedDimm(input.state, { node: input.node, size: input.size, ...(input.labelSize ? { labelSize: input.labelSize } : {}) });
        const d = host.dimms[host.dimms.length - 1]!;
        input.live?.toolstack.booted.plugDimms(host);
        return { index: d.index, node: d.node, handle: d.handle, spa: d.spa, sizeBytes: d.sizeBytes, labelSizeBytes: d.labelSizeBytes, path: d.path, hotplugged: input.live !== undefined };
      });
    } catch (e) {
      if (e instanceof UserError) throw e;
      asUserError(e);
    }
  },
};

export const hostStatusCommand: Command<StateInput, object> = {
  name: "host status",
  summary: SUMMARY["host status"],
  run: (input) => withHost(input, (b) => ({
    state: b.host.stateDir,
    spec: b.host.spec.name,
    pmemMgmt: b.pmemMgmt,
    dimms: b.dimms.map((d) => {
      const h = b.host.dimms.find((x) => x.handle === d.dimm.handle)!;
      return {
        index: h.index, handle: d.dimm.handle, node: d.dimm.pxm, spa: d.dimm.spa, smfn: Number(d.dimm.spa / BigInt(PAGE_BYTES)), sizeBytes: d.dimm.sizeBytes,
        labelSizeBytes: h.labelSizeBytes, serial: d.dimm.serial, path: h.path,
        labels: d.scan.labels.labelled ? (d.scan.labels.selection.layout?.labelSizeBytes === 128 ? "v1.1" : "v1.2") : "none",
        namespaces: d.scan.namespaces.map((n) => ({ uuid: n.uuid, name: n.name, dpa: n.dpa, sizeBytes: n.sizeBytes, content: n.content.kind, ...(n.content.kind === "info-block" ? { mode: n.content.mode } : {}) })),
        labelProblems: d.scan.labels.reasons.map((r) => r.code),
      };
    }),
    reservations: b.reservations.map((r) => ({ handle: r.handle, namespace: r.namespace, uuid: r.record.uuid, guarded: r.record.guarded, mgmtSizeBytes: r.record.mgmtSize, dataSizeBytes: r.record.dataSize, ok: !r.error, ...(r.error ? { error: r.error.message } : {}) })),
    skipped: b.skipped.map((s) => ({ handle: s.handle, namespace: s.namespace, reasons: s.reasons.map((r) => r.code) })),
    lost: b.lost.map((l) => ({ uuid: l.uuid, handle: l.handle, namespace: l.namespace, dpa: l.dpa, sizeBytes: l.sizeBytes, found: l.found })),
    regions: regions(b, ["raw", "mgmt", "data"]),
    bootProblems: b.hv.bootReasons.map((r) => r.code),
    managementRamBytes: b.hv.ramBytes(),
  }), { readOnly: true }),
};
