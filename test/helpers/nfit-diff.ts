// Compares two NFITs "apart from OEM fields and DIMM order": each table's
// sub-structures as a multiset of their encodings. QEMU orders the DIMMs by
// QOM child order (a hash table's), the builtin device model by slot; every
// per-DIMM field (handles, range and region indexes) derives from the slot,
// so nothing but the order may differ.
import { decodeNfit, encodeNfitStructure, type NfitStructure } from "../../src/formats/index.js";

export interface NfitDiff {
  /** Header fields that differ (checksum excluded: it follows from the rest). */
  header: string[];
  onlyInA: NfitStructure[];
  onlyInB: NfitStructure[];
  sameOrder: boolean;
}

const hex = (b: Uint8Array) => Buffer.from(b).toString("hex");

export function diffNfits(a: Uint8Array, b: Uint8Array): NfitDiff {
  const da = decodeNfit(a), db = decodeNfit(b);
  const ha = (da.header ?? {}) as unknown as Record<string, unknown>, hb = (db.header ?? {}) as unknown as Record<string, unknown>;
  const header = [...new Set([...Object.keys(ha), ...Object.keys(hb)])].filter((k) => k !== "checksum" && JSON.stringify(ha[k], big) !== JSON.stringify(hb[k], big));
  const ea = da.structures.map((s) => hex(encodeNfitStructure(s)));
  const eb = db.structures.map((s) => hex(encodeNfitStructure(s)));
  const left = [...eb];
  const onlyInA: NfitStructure[] = [];
  ea.forEach((e, i) => {
    const j = left.indexOf(e);
    if (j >= 0) left.splice(j, 1);
    else onlyInA.push(da.structures[i]!);
  });
  const onlyInB = db.structures.filter((_s, i) => left.includes(eb[i]!));
  return { header, onlyInA, onlyInB, sameOrder: ea.join() === eb.join() };
}

function big(_k: string, v: unknown): unknown {
  return typeof v === "bigint" ? v.toString() : v;
}
