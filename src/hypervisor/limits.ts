// Page size, number ranges and the checks every hypercall argument goes through.

export const PAGE_SHIFT = 12;
export const PAGE_BYTES = 1 << PAGE_SHIFT;

/**
 * MFNs are plain numbers: x86-64 physical addresses have at most 52 bits
 * (MAXPHYADDR ≤ 52, Intel SDM vol. 3 §4.1.4), so an MFN has at most 40 bits,
 * well inside Number.MAX_SAFE_INTEGER. Ranges are [smfn, emfn), as in Xen's
 * xen-ndctl, so every end is checked against this limit.
 */
export const MFN_LIMIT = 2 ** 40;

/**
 * gfns are below 2^32: a guest physical space of 16 TiB per domain. That
 * lets the frame table keep the M2P in a Uint32 column (frame-table.ts).
 */
export const GFN_LIMIT = 2 ** 32;

/** Xen's DOMID_FIRST_RESERVED (xen/include/public/xen.h): 0x7FF0 and up are DOMID_SELF, DOMID_IO, … */
export const DOMID_FIRST_RESERVED = 0x7ff0;

/** The control domain: exists from boot, privileged, cannot be destroyed. */
export const CONTROL_DOMID = 0;

/** An integer n with 0 ≤ n < limit. Hypercall arguments come from anywhere, so nothing is assumed. */
export function isIndex(x: unknown, limit: number): x is number {
  return typeof x === "number" && Number.isSafeInteger(x) && x >= 0 && x < limit;
}

/** [start, start + nr) is non-empty and lies below limit. */
export function isRange(start: unknown, nr: unknown, limit: number): boolean {
  return isIndex(start, limit) && typeof nr === "number" && Number.isSafeInteger(nr) && nr > 0 && start + nr <= limit;
}

export function spaToMfnUp(addr: bigint): bigint {
  return (addr + BigInt(PAGE_BYTES - 1)) >> BigInt(PAGE_SHIFT);
}

export function spaToMfnDown(addr: bigint): bigint {
  return addr >> BigInt(PAGE_SHIFT);
}

export function mfnToSpa(mfn: number): bigint {
  return BigInt(mfn) << BigInt(PAGE_SHIFT);
}
