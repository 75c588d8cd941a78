// A reservation the host remembers but no longer finds. What now sits in its
// space says what happened: an info block means another OS (a Linux with
// `ndctl create-namespace -f`) made the namespace its own, a damaged record
// means a torn or corrupt write, no namespace means its label was deleted.
// Reported loudly (status, dashboard), never repaired.
import type { KnownReservation } from "../host/index.js";
import type { ScannedDimm, NamespaceContent } from "../dom0/index.js";

export interface LostReservation extends KnownReservation {
  /** One line: what the space holds now. */
  found: string;
}

function describe(c: NamespaceContent): string {
  switch (c.kind) {
    case "info-block": return `its namespace now holds a Linux ${c.mode} info block where the record was: another OS made it a ${c.mode} namespace (ndctl create-namespace --force?)`;
    case "bad-reservation": return `its record is damaged (${c.reasons.map((r) => r.code).join(", ")})`;
    case "reservation": return `another reservation (${c.record.uuid}) is there now`;
    case "filesystem": return `its record is gone: a ${c.signatures.map((s) => s.kind).join("/")} filesystem is there now`;
    case "data": return "its record is gone: other data is there now";
    default: return "its record is gone: the namespace reads as zeros";
  }
}

export function lostReservations(
  known: readonly KnownReservation[], found: readonly { record: { uuid: string } }[], dimms: readonly { dimm: { handle: number }; scan: ScannedDimm }[],
): LostReservation[] {
  return known.filter((k) => !found.some((f) => f.record.uuid === k.uuid)).map((k) => {
    const d = dimms.find((x) => x.dimm.handle === k.handle);
    if (!d) return { ...k, found: "its NVDIMM is gone from the firmware tables" };
    const ns = d.scan.namespaces.find((n) => n.dpa < k.dpa + k.sizeBytes && k.dpa < n.dpa + n.sizeBytes);
    if (!ns) return { ...k, found: "no namespace covers its space any more (its label was deleted)" };
    return { ...k, found: describe(ns.content) };
  });
}
