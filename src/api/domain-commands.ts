// Domain and guest verbs: create, list, destroy, delete, attach, detach,
// reclaim, and the guest's own view (namespaces, read, write).
import {
  ConfigError, LifecycleError, LedgerError, ProvisionError, attachVnvdimm, createDomain, deleteDomain, destroyDomain, detachVnvdimm,
  listDomains, openGuest, reclaimOrphans, DomainBootError, type CreateResult,
} from "../toolstack/index.js";
import { GuestMemoryFault, NamespaceIoError } from "../devicemodel/index.js";
import { FormatError } from "../formats/index.js";
import type { Command } from "./command.js";
import { UserError, type UserErrorCode } from "./errors.js";
import { asUserError, type StateInput } from "./host-commands.js";

const LIFECYCLE_CODES: Record<LifecycleError["code"], UserErrorCode> = {
  "domain.missing": "not-found", "vnvdimm.missing": "not-found",
  "domain.exists": "conflict", "domain.running": "conflict", "domain.stopped": "conflict", "alloc.failed": "conflict",
};

/** Runs `fn`, turning every typed error of the layers below into a UserError. */
export function wrap<T>(fn: () => T): T {
  try {
    return fn();
  } catch (e) {
    if (e instanceof UserError) throw e;
    if (e instanceof ConfigError) throw new UserError("invalid-config", e.message, e.hint, 2, e.code);
    if (e instanceof LifecycleError) throw new UserError(LIFECYCLE_CODES[e.code], e.message, e.hint, e.exit, e.code);
    if (e instanceof LedgerError || e instanceof ProvisionError) {
      const conflict = e.code === "ledger.locked" || e.code === "provision.foreign-labels";
      throw new UserError(conflict ? "conflict" : "invalid-input", e.message, e.hint, 1, e.code);
    }
    if (e instanceof DomainBootError) throw new UserError("conflict", e.message, undefined, 1, e.failure.reason);
    if (e instanceof NamespaceIoError || e instanceof GuestMemoryFault) throw new UserError("invalid-input", `Guest I/O failed: ${e.message}`, undefined, 1);
    if (e instanceof FormatError) throw new UserError("invalid-input", e.message, undefined, 1);
    return asUserError(e);
  }
}

export interface CreateInput extends StateInput {
  /** The xl-style config text. */
  config: string;
  /** Where the text came from, for messages ("vm1.cfg:3:5: …"); the file itself is never read here. */
  configFile?: string;
  force?: boolean;
}
export const createCommand: Command<CreateInput, CreateResult> = {
  name: "create", summary: "Create a domain from an xl-style config, or start a stopped one on the same pages",
  run: (i) => wrap(() => createDomain(i.state, { configText: i.config, ...(i.configFile ? { configFile: i.configFile } : {}), force: i.force ?? false })),
};

export const listCommand: Command<StateInput, ReturnType<typeof listDomains>> = {
  name: "list", summary: "List domains, their vNVDIMMs and host extents",
  run: (i) => wrap(() => listDomains(i.state)),
};

export const destroyCommand: Command<StateInput & { name: string }, ReturnType<typeof destroyDomain>> = {
  name: "destroy", summary: "Stop a domain; its extents stay held for it (contents intact)",
  run: (i) => wrap(() => destroyDomain(i.state, i.name)),
};

export const deleteCommand: Command<StateInput & { name: string }, ReturnType<typeof deleteDomain>> = {
  name: "delete", summary: "Release a stopped domain's extents for reuse by other domains",
  run: (i) => wrap(() => deleteDomain(i.state, i.name)),
};

export const attachCommand: Command<StateInput & { name: string; spec: string; force?: boolean }, ReturnType<typeof attachVnvdimm>> = {
  name: "attach", summary: "Hotplug a vNVDIMM into a domain",
  run: (i) => wrap(() => attachVnvdimm(i.state, i.name, i.spec, { force: i.force ?? false })),
};

export const detachCommand: Command<StateInput & { name: string; id: string }, ReturnType<typeof detachVnvdimm>> = {
  name: "detach", summary: "Hot-unplug a vNVDIMM from a domain and release its extent",
  run: (i) => wrap(() => detachVnvdimm(i.state, i.name, i.id)),
};

export const reclaimCommand: Command<StateInput, ReturnType<typeof reclaimOrphans>> = {
  name: "reclaim", summary: "Release allocations a crash left unfinished",
  run: (i) => wrap(() => reclaimOrphans(i.state)),
};

export interface GuestNamespaceRow { uuid: string | null; name: string; size: bigint; mode: string; dimm: number; readOnly: boolean }

export const guestNamespacesCommand: Command<StateInput & { name: string }, { namespaces: GuestNamespaceRow[] }> = {
  name: "guest namespaces", summary: "What the guest sees: its namespaces, as the guest's own driver finds them",
  run: (i) => wrap(() => {
    const g = openGuest(i.state, i.name);
    try {
      const v = g.domain.guest.view();
      return { namespaces: v.namespaces.map((n) => ({ uuid: n.uuid, name: n.name, size: g.domain.guest.io(n).sizeBytes, mode: n.mode, dimm: n.handle - 1, readOnly: n.readOnly })) };
    } finally { g.close(); }
  }),
};

function guestNs(g: ReturnType<typeof openGuest>, ref: string) {
  const ns = g.domain.guest.namespace(ref);
  if (!ns) throw new UserError("not-found", `The guest has no namespace ${ref}`, "see `vnvdimm guest namespaces`");
  return g.domain.guest.io(ns);
}

export const guestWriteCommand: Command<StateInput & { name: string; namespace: string; offset: bigint; bytes: Uint8Array }, { written: number }> = {
  name: "guest write", summary: "Write bytes into a namespace through the guest's view of it",
  run: (i) => wrap(() => {
    const g = openGuest(i.state, i.name);
    try {
      guestNs(g, i.namespace).write(i.offset, i.bytes);
      return { written: i.bytes.length };
    } finally { g.close(); }
  }),
};

export const guestReadCommand: Command<StateInput & { name: string; namespace: string; offset: bigint; length: number }, { bytes: Uint8Array }> = {
  name: "guest read", summary: "Read from a namespace through the guest's view of it",
  run: (i) => wrap(() => {
    const g = openGuest(i.state, i.name);
    try { return { bytes: guestNs(g, i.namespace).read(i.offset, i.length) }; } finally { g.close(); }
  }),
};
