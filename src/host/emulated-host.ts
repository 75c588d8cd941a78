// An emulated host: each NVDIMM is a sparse file laid out like a QEMU backing
// file (media, then the label area in the last labelSize bytes), and the
// firmware tables are files built from the machine spec. Creating a host never
// overwrites existing media unless the caller passes force.
import { chmodSync, closeSync, existsSync, fchmodSync, fstatSync, ftruncateSync, openSync, readFileSync, readSync, writeFileSync, writeSync, renameSync } from "node:fs";
import { dirname } from "node:path";
import { DSM_REVISION, DSM_STATUS, handleLabelDsm, status, type DsmRequest, type DsmResponse, type LabelStore } from "../formats/index.js";
import { buildHostE820, buildHostNfit } from "./firmware.js";
import { planMemoryMap, type HostDimm } from "./memory-map.js";
import { parseMachineSpec, type MachineSpec } from "./spec.js";
import { HostError } from "./host-error.js";
import { forgetAllReservations } from "./known-reservations.js";
import { PRIVATE_DIR_MODE, PRIVATE_FILE_MODE, hostPaths, makePrivateDir } from "./state-dir.js";

export { HostError };

export interface EmulatedHost {
  readonly stateDir: string;
  readonly spec: MachineSpec;
  readonly dimms: readonly (HostDimm & { path: string; fileBytes: bigint })[];
  /** The firmware tables, exactly as platform firmware hands them over. */
  readonly e820: Uint8Array;
  readonly nfit: Uint8Array;
}

/** Writes a file whole or not at all: a temp file, then rename. */
function writeAtomic(path: string, bytes: Uint8Array | string): void {
  makePrivateDir(dirname(path));
  const tmp = `${path}.tmp-${process.pid}`;
  writeFileSync(tmp, bytes, { mode: PRIVATE_FILE_MODE });
  renameSync(tmp, path);
}

/** A DIMM's media: a sparse file of its size plus its label area, private, replacing whatever was at `path`. */
function createDimmMedia(path: string, d: Pick<HostDimm, "sizeBytes" | "labelSizeBytes">): void {
  const fd = openSync(path, "w", PRIVATE_FILE_MODE);
  try {
    // The mode given to open() is masked by the umask and ignored for an existing file (--force).
    fchmodSync(fd, PRIVATE_FILE_MODE);
    // ftruncate makes a sparse file: no block is written until used.
    ftruncateSync(fd, Number(d.sizeBytes + d.labelSizeBytes));
  } finally {
    closeSync(fd);
  }
}

/** The firmware tables, then the spec: writing the spec last commits the machine it describes. */
function writeFirmware(stateDir: string, map: ReturnType<typeof planMemoryMap>, spec: MachineSpec): void {
  const p = hostPaths(stateDir);
  writeAtomic(p.e820, buildHostE820(map));
  writeAtomic(p.nfit, buildHostNfit(map));
  writeAtomic(p.spec, specToJson(spec));
}

function specToJson(spec: MachineSpec): string {
  return JSON.stringify(spec, (_k, v: unknown) => (typeof v === "bigint" ? v.toString() : v), 2) + "\n";
}

/**
 * Creates an emulated host. Refuses when any DIMM file exists unless `force`,
 * because those files are persistent media.
 */
export function createEmulatedHost(stateDir: string, spec: MachineSpec, opts: { force?: boolean; onProgress?: (done: number, total: number) => void } = {}): EmulatedHost {
  const p = hostPaths(stateDir);
  const map = planMemoryMap(spec);
  const existing = map.dimms.map((d) => p.dimm(d.index)).filter((f) => existsSync(f));
  if (existing.length && !opts.force) {
    throw new HostError("host.exists", `Refusing to overwrite existing NVDIMM media: ${existing.join(", ")}`, "pass --force to recreate them (their data is lost), or use another --state");
  }
  // Private: the media hold every guest's data. A state directory made by an older version keeps its mode; host/ is tightened.
  makePrivateDir(stateDir);
  makePrivateDir(p.dir);
  chmodSync(p.dir, PRIVATE_DIR_MODE);
  map.dimms.forEach((d, i) => {
    createDimmMedia(p.dimm(d.index), d);
    opts.onProgress?.(i + 1, map.dimms.length);
  });
  writeFirmware(stateDir, map, spec);
  // New media hold no reservation: what the old ones held is not lost, it was replaced on purpose.
  forgetAllReservations(stateDir);
  return openEmulatedHost(stateDir);
}

/**
 * Host hotplug of an NVDIMM: appended to the machine, so it lands above every
 * other DIMM and nothing that exists moves (SPA, handle, serial); its sparse
 * media is created, then the firmware tables (the NFIT is the platform's
 * FIT), then the spec, which commits it. A crash before the spec leaves a
 * file no host knows of, which a retry overwrites.
 */
export function addEmulatedDimm(stateDir: string, d: { node: number; size: string; labelSize?: string }): EmulatedHost {
  const host = openEmulatedHost(stateDir);
  const p = hostPaths(stateDir);
  const raw = JSON.parse(readFileSync(p.spec, "utf8")) as { nvdimms: unknown[] };
  raw.nvdimms.push({ node: d.node, size: d.size, ...(d.labelSize ? { labelSize: d.labelSize } : {}) });
  const spec = parseMachineSpec(raw, "the new NVDIMM");
  const map = planMemoryMap(spec);
  for (const [i, old] of host.dimms.entries()) {
    const now = map.dimms[i]!;
    if (now.spa !== old.spa || now.handle !== old.handle) throw new Error(`assertion failed: adding a DIMM moved NVDIMM ${i}`);
  }
  const nd = map.dimms[map.dimms.length - 1]!;
  createDimmMedia(p.dimm(nd.index), nd);
  writeFirmware(stateDir, map, spec);
  return openEmulatedHost(stateDir);
}

/** Opens an existing host; the media and firmware files are the truth. */
export function openEmulatedHost(stateDir: string): EmulatedHost {
  const p = hostPaths(stateDir);
  if (!existsSync(p.spec)) throw new HostError("host.missing", `No host in ${stateDir}`, "create one with `vnvdimm host init`");
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(p.spec, "utf8"));
  } catch {
    throw new HostError("host.corrupt", `Cannot read ${p.spec}: not JSON`);
  }
  const spec = parseMachineSpec(raw, p.spec);
  const map = planMemoryMap(spec);
  const dimms = map.dimms.map((d) => {
    const path = p.dimm(d.index);
    if (!existsSync(path)) throw new HostError("host.corrupt", `NVDIMM ${d.index} media ${path} is missing`, "restore it, or recreate the host with `vnvdimm host init --force`");
    const fd = openSync(path, "r");
    const size = BigInt(fstatSync(fd).size);
    closeSync(fd);
    if (size !== d.sizeBytes + d.labelSizeBytes) throw new HostError("host.corrupt", `NVDIMM ${d.index} media ${path} is ${size} bytes, expected ${d.sizeBytes + d.labelSizeBytes}`);
    return { ...d, path, fileBytes: size };
  });
  return { stateDir, spec, dimms, e820: new Uint8Array(readFileSync(p.e820)), nfit: new Uint8Array(readFileSync(p.nfit)) };
}

/** The label area of host DIMM `d` (its file's tail), as a mailbox label store. */
export function hostLabelStore(d: EmulatedHost["dimms"][number]): LabelStore {
  const base = Number(d.sizeBytes);
  return {
    sizeBytes: Number(d.labelSizeBytes),
    read(offset, length) {
      const fd = openSync(d.path, "r");
      try {
        const out = new Uint8Array(length);
        readSync(fd, out, 0, length, base + offset);
        return out;
      } finally { closeSync(fd); }
    },
    write(offset, bytes) {
      const fd = openSync(d.path, "r+");
      try { writeSync(fd, bytes, 0, bytes.length, base + offset); } finally { closeSync(fd); }
    },
  };
}

/**
 * The host's _DSM mailbox: functions 0, 4, 5, 6 on each DIMM by NFIT handle,
 * so the control domain reads labels the way Linux does, 4076 bytes at a time.
 */
export function hostDsm(host: EmulatedHost, req: DsmRequest): DsmResponse {
  if (req.revision !== DSM_REVISION) return status(DSM_STATUS.NOT_SUPPORTED);
  const d = host.dimms.find((x) => x.handle === req.handle);
  if (!d) return status(DSM_STATUS.NO_SUCH_DEVICE);
  return handleLabelDsm(req, hostLabelStore(d));
}
