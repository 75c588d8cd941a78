// The _DSM mailbox: the guest writes NvdimmDsmIn to the 4 KiB page at MEMA and
// rings port 0x0A18; the device model answers in the same page. Dispatch,
// statuses and limits are QEMU's (hw/acpi/nvdimm.c nvdimm_dsm_write and what
// it calls), with one addition: the root device (handle 0) offers ARS.
// - Revision ≠ 1 gets status 1 for every handle and function, function 0
//   included (QEMU checks the revision first; to the AML a function-0 answer
//   of 1 reads as the mask "bit 0 only").
// - Handle 0x10000: function 0 → mask 0x3; function 1 → Read FIT; else 1.
// - Handle 0: function 0 → QEMU answers mask 0; with ARS we answer 0xF
//   (functions 1–3, ars.ts); functions 1–3 → ARS; else 1.
// - Other handles are DIMMs (slot + 1): function 0 → mask 0x71 with a label
//   area, else 0 (also for no such DIMM); then no such DIMM → 2; functions
//   4/5/6 → label functions; else 1.
// - Unarmed DIMMs: QEMU does not refuse label writes; neither do we. The
//   caller's LabelStore decides (readOnly makes Set Label Data answer 1).
import {
  DSM_FN, DSM_PAGE_BYTES, DSM_QEMU_ROOT_HANDLE, DSM_REVISION, DSM_ROOT_HANDLE, DSM_STATUS,
  DsmInput, encodeDsmOutput, handleLabelDsm, status, type DsmRequest, type DsmResponse, type LabelStore,
} from "../formats/index.js";

/** Read FIT; GuestFit is one. */
export interface FitReader {
  readFit(offset: number): DsmResponse;
}

/** Root functions beyond 0; ArsEngine is one. */
export interface RootFunctions {
  /** The function-0 mask, bit 0 included. */
  readonly functionMask: number;
  handle(fn: number, arg3: Uint8Array): DsmResponse;
}

export interface MailboxDimm {
  /** Absent when the DIMM has no label area (QEMU label-size=0). */
  readonly labels?: LabelStore;
}

export interface MailboxDeps {
  readonly fit: FitReader;
  /** The plugged DIMM with this NFIT handle, or undefined. */
  dimm(handle: number): MailboxDimm | undefined;
  /** Without it the root device answers as QEMU's: mask 0, nothing else. */
  readonly root?: RootFunctions;
}

/** QEMU's reserved-root function 0 mask: bit 0 and Read FIT. */
export const QEMU_ROOT_FUNCTION_MASK = 0x1 | (1 << DSM_FN.READ_FIT);

const mask = (bits: number): DsmResponse => ({ status: bits >>> 0, payload: new Uint8Array(0) });

function u32At(b: Uint8Array, offset: number): number {
  return new DataView(b.buffer, b.byteOffset, b.byteLength).getUint32(offset, true);
}

export class DsmMailbox {
  constructor(private readonly deps: MailboxDeps) {}

  /**
   * Serves one call: `page` is the input page the guest wrote; the result is
   * what the device model writes back, `{u32 len, u32 status, payload}`, at
   * most 4096 bytes. Never throws for any page.
   */
  call(page: Uint8Array): Uint8Array {
    return encodeDsmOutput(this.respond(page));
  }

  respond(page: Uint8Array): DsmResponse {
    // A short page cannot come from a guest (the page is always 4 KiB); it is answered, not trusted.
    if (page.length < DSM_PAGE_BYTES) return status(DSM_STATUS.INVALID_INPUT);
    // decode copies arg3, as QEMU copies the page before it looks (a guest may change it meanwhile).
    const { handle, revision, function: fn, arg3 } = DsmInput.decode(page);
    return this.handle({ handle, revision, function: fn, arg3 });
  }

  handle(req: DsmRequest): DsmResponse {
    if (req.revision !== DSM_REVISION) return status(DSM_STATUS.NOT_SUPPORTED);
    if (req.handle === DSM_QEMU_ROOT_HANDLE) return this.#qemuRoot(req);
    if (req.handle === DSM_ROOT_HANDLE) return this.#root(req);
    return this.#dimm(req);
  }

  #qemuRoot(req: DsmRequest): DsmResponse {
    if (req.function === DSM_FN.QUERY) return mask(QEMU_ROOT_FUNCTION_MASK);
    if (req.function !== DSM_FN.READ_FIT) return status(DSM_STATUS.NOT_SUPPORTED);
    if (req.arg3.length < 4) return status(DSM_STATUS.INVALID_INPUT);
    return this.deps.fit.readFit(u32At(req.arg3, 0));
  }

  #root(req: DsmRequest): DsmResponse {
    const root = this.deps.root;
    if (req.function === DSM_FN.QUERY) return mask(root ? root.functionMask : 0);
    if (!root || req.function > 31 || (root.functionMask & (1 << req.function)) === 0) return status(DSM_STATUS.NOT_SUPPORTED);
    return root.handle(req.function, req.arg3);
  }

  #dimm(req: DsmRequest): DsmResponse {
    const dimm = this.deps.dimm(req.handle);
    if (!dimm && req.function !== DSM_FN.QUERY) return status(DSM_STATUS.NO_SUCH_DEVICE);
    return handleLabelDsm(req, dimm?.labels);
  }
}
