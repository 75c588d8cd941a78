// Where Linux puts the data of a new fsdax/devdax namespace, and the info
// block it writes (pfn_devs.c nd_pfn_init; FORMATS.md §6). Needed to
// pre-provision guest namespaces exactly as a Linux guest would.
import { FormatError, reason } from "../reasons.js";
import { alignDownBig, alignUpBig, hex, MiB } from "../units.js";
import {
  DAX_SIGNATURE, encodePfnSb, PFN_COMPAT_ALIGN_BYTES, PFN_INFO_RESERVE_BYTES, PFN_MODE, PFN_PAGE_BYTES,
  PFN_PAGE_STRUCT_BYTES, PFN_SIGNATURE, PFN_SUPPORTED_ALIGNS,
} from "./pfn.js";
import { signatureBytes } from "./gen-sb.js";

export interface PfnLayoutInput {
  /** The namespace's physical start address (Linux's res->start). */
  namespaceStartBytes: bigint;
  namespaceSizeBytes: bigint;
  /** "dev" keeps the page map on the namespace (PFN_MODE_PMEM); "mem" puts it in RAM. */
  map: "dev" | "mem";
  /** ndctl --align; 2 MiB by default. */
  alignBytes?: number;
}

export interface PfnLayout {
  dataoff: bigint;
  npfns: bigint;
  startPad: number;
  endTrunc: number;
}

/**
 * nd_pfn_init's layout. The page map is sized for every page after the 8 KiB
 * reserve, dataoff is rounded up to max(align, 2 MiB), and npfns then counts
 * only the pages after dataoff (so npfns ≠ (size − 8K)/4K, which FORMATS.md
 * gives). Throws FormatError when Linux would refuse the namespace.
 */
export function pfnLayout(input: PfnLayoutInput): PfnLayout {
  const { namespaceStartBytes: start, namespaceSizeBytes: size, map } = input;
  const requested = input.alignBytes ?? 2 * MiB;
  if (!PFN_SUPPORTED_ALIGNS.includes(requested)) {
    fail("pfn.align", `align ${hex(requested)} is not one of ${PFN_SUPPORTED_ALIGNS.map((a) => hex(a)).join(", ")}`);
  }
  const compat = BigInt(PFN_COMPAT_ALIGN_BYTES);
  const align = BigInt(requested) > compat ? BigInt(requested) : compat;
  // Linux 5.7+ refuses a misaligned start rather than writing start_pad.
  if (start < 0n || start % compat !== 0n) fail("pfn.start-pad", `namespace start ${hex(start)} is not 2 MiB aligned`);
  const reserve = BigInt(PFN_INFO_RESERVE_BYTES);
  const page = BigInt(PFN_PAGE_BYTES);
  if (size <= reserve) fail("pfn.dataoff", `namespace of ${hex(size)} bytes has no room after the info block`);

  const maxPfns = (size - reserve) / page;
  const endTrunc = start + size - alignDownBig(start + size, align);
  const pageMapBytes = map === "dev" ? BigInt(PFN_PAGE_STRUCT_BYTES) * maxPfns : 0n;
  const dataoff = alignUpBig(start + reserve + pageMapBytes, align) - start;
  if (dataoff >= size - endTrunc) fail("pfn.dataoff", `cannot satisfy align ${hex(align)}: dataoff ${hex(dataoff)} leaves no data`);
  return { dataoff, npfns: (size - dataoff - endTrunc) / page, startPad: 0, endTrunc: Number(endTrunc) };
}

export interface BuildPfnSbInput extends PfnLayoutInput {
  kind: "fsdax" | "devdax";
  /** The pfn/dax device uuid (raw order). */
  uuid: Uint8Array;
  /** The namespace label uuid (raw order). */
  parentUuid: Uint8Array;
}

/** The 4096-byte block Linux writes at namespace offset 4096 for a new fsdax/devdax namespace. */
export function buildPfnSb(input: BuildPfnSbInput): Uint8Array {
  const layout = pfnLayout(input);
  return encodePfnSb({
    signature: signatureBytes(input.kind === "devdax" ? DAX_SIGNATURE : PFN_SIGNATURE),
    uuid: input.uuid,
    parentUuid: input.parentUuid,
    versionMajor: 1,
    versionMinor: 4,
    dataoff: layout.dataoff,
    npfns: layout.npfns,
    mode: input.map === "dev" ? PFN_MODE.pmem : PFN_MODE.ram,
    startPad: layout.startPad,
    endTrunc: layout.endTrunc,
    // Linux records the requested align, not the max() with the 2 MiB it lays out with.
    align: input.alignBytes ?? 2 * MiB,
    pageSize: PFN_PAGE_BYTES,
    pageStructSize: PFN_PAGE_STRUCT_BYTES,
  });
}

function fail(code: string, message: string): never {
  throw new FormatError("Cannot lay out the pfn info block", [reason(code, message)]);
}
