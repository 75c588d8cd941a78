// The real guest's view of its namespaces, from `ndctl list -R -N -D -v`
// and each region's sysfs read_only, in the shape vnvdimm prints for every
// backend. Pure and defensive: the JSON comes from the guest, so anything
// unexpected is skipped, never thrown.

export interface GuestNdctlNamespace {
  /** The label uuid (ndctl's raw_uuid, or uuid in raw mode); null for a label-less namespace. */
  uuid: string | null;
  name: string;
  /** What the guest's block or dax device holds (ndctl's size). */
  sizeBytes: bigint;
  mode: "fsdax" | "devdax" | "sector" | "raw";
  /** NFIT handle − 1, like the builtin guest's dimm column. */
  dimm: number;
  readOnly: boolean;
  region: string;
  namespace: string;
  /** /dev/<device>: pmemN[.M][s] for block modes, daxN.M for devdax. */
  device: string;
  /** devdax alignment, for mmap. */
  alignBytes: bigint;
}

const NIL_UUID = "00000000-0000-0000-0000-000000000000";
const MODES = new Set(["fsdax", "devdax", "sector", "raw"]);

type Json = Record<string, unknown>;
const obj = (v: unknown): Json | undefined => (typeof v === "object" && v !== null && !Array.isArray(v) ? (v as Json) : undefined);
const arr = (v: unknown): unknown[] => (Array.isArray(v) ? v : []);
const str = (v: unknown): string | undefined => (typeof v === "string" ? v : undefined);
const num = (v: unknown): bigint | undefined => (typeof v === "number" && Number.isSafeInteger(v) && v >= 0 ? BigInt(v) : undefined);

/** Splits the agent's namespace-listing output: ndctl's JSON, a "@@@" line, then "regionN 0|1" lines. */
export function parseGuestNamespaces(text: string): GuestNdctlNamespace[] {
  const [json = "", sysfs = ""] = text.split(/^@@@$/m);
  let top: unknown;
  try { top = JSON.parse(json.trim() || "{}"); } catch { return []; }
  const readOnly = new Map<string, boolean>();
  for (const l of sysfs.split("\n")) {
    const m = /^(region\d+) ([01])$/.exec(l.trim());
    if (m) readOnly.set(m[1]!, m[2] === "1");
  }
  // `ndctl list` prints a bare array when only one kind of object is listed, an object otherwise.
  const t = obj(top) ?? {};
  const handles = new Map<string, number>();
  for (const d of arr(t["dimms"])) {
    const dev = str(obj(d)?.["dev"]), h = num(obj(d)?.["handle"]);
    if (dev && h !== undefined) handles.set(dev, Number(h));
  }
  const out: GuestNdctlNamespace[] = [];
  for (const r of arr(t["regions"])) {
    const region = obj(r);
    const regionDev = str(region?.["dev"]);
    if (!region || !regionDev) continue;
    const mapping = obj(arr(region["mappings"])[0]);
    const handle = handles.get(str(mapping?.["dimm"]) ?? "");
    for (const n of arr(region["namespaces"])) {
      const ns = obj(n);
      const mode = str(ns?.["mode"]);
      const size = num(ns?.["size"]);
      if (!ns || !mode || !MODES.has(mode) || size === undefined || size === 0n || str(ns["state"]) === "disabled") continue;
      const dax = obj(arr(obj(ns["daxregion"])?.["devices"])[0]);
      const device = mode === "devdax" ? str(dax?.["chardev"]) : str(ns["blockdev"]);
      if (!device) continue;
      const labelUuid = str(ns["raw_uuid"]) ?? (mode === "raw" ? str(ns["uuid"]) : undefined);
      out.push({
        uuid: labelUuid && labelUuid !== NIL_UUID ? labelUuid : null,
        name: str(ns["name"]) ?? "",
        sizeBytes: size,
        mode: mode as GuestNdctlNamespace["mode"],
        dimm: handle !== undefined ? handle - 1 : -1,
        readOnly: readOnly.get(regionDev) ?? false,
        region: regionDev,
        namespace: str(ns["dev"]) ?? "",
        device,
        alignBytes: num(dax?.["align"]) ?? num(ns["align"]) ?? 4096n,
      });
    }
  }
  return out.sort((a, b) => a.dimm - b.dimm || a.namespace.localeCompare(b.namespace));
}

/** The agent script whose output parseGuestNamespaces reads. */
export const LIST_NAMESPACES_SCRIPT = [
  "ndctl list -R -N -D -v",
  "echo @@@",
  "for r in /sys/bus/nd/devices/region*; do [ -e \"$r/read_only\" ] && echo \"${r##*/} $(cat \"$r/read_only\")\"; done",
].join("\n");
