// The guest side of the _DSM mailbox, as the SSDT's NCAL method drives it:
// fill the input page, ring, read {len, status, payload} back.
import { u32Payload, DSM_FN, DSM_PAGE_BYTES, DSM_QEMU_ROOT_HANDLE, DSM_STATUS, DsmInput } from "../../formats/index.js";
import type { GuestPlatform } from "./platform.js";

export interface DsmReply { status: number; payload: Uint8Array }

export function dsmCall(p: GuestPlatform, handle: number, fn: number, arg3: Uint8Array = new Uint8Array(0)): DsmReply {
  const page = new Uint8Array(DSM_PAGE_BYTES);
  const a = new Uint8Array(DsmInput.sizeOf("arg3"));
  a.set(arg3.subarray(0, a.length));
  DsmInput.encode({ handle, revision: 1, function: fn, arg3: a }, page);
  const out = p.dsm(page);
  if (out.length < 8) return { status: DSM_STATUS.INVALID_INPUT, payload: new Uint8Array(0) };
  const dv = new DataView(out.buffer, out.byteOffset, out.byteLength);
  const len = Math.min(dv.getUint32(0, true), out.length);
  return { status: dv.getUint32(4, true), payload: out.slice(8, Math.max(8, len)) };
}

export class GuestDsmError extends Error {
  constructor(readonly fn: number, readonly status: number) {
    super(`_DSM function ${fn} failed with status ${status}`);
    this.name = "GuestDsmError";
  }
}

/** Reads the whole FIT through _FIT's loop: restart from 0 whenever the FIT changed under it. */
export function readFit(p: GuestPlatform): Uint8Array {
  for (let restarts = 0; restarts < 16; restarts++) {
    const parts: Uint8Array[] = [];
    let offset = 0;
    let changed = false;
    for (;;) {
      const r = dsmCall(p, DSM_QEMU_ROOT_HANDLE, DSM_FN.READ_FIT, u32Payload(offset));
      if (r.status === DSM_STATUS.FIT_CHANGED) { changed = true; break; }
      if (r.status !== DSM_STATUS.SUCCESS) throw new GuestDsmError(DSM_FN.READ_FIT, r.status);
      if (r.payload.length === 0) break;
      parts.push(r.payload);
      offset += r.payload.length;
    }
    if (changed) continue;
    const out = new Uint8Array(parts.reduce((n, x) => n + x.length, 0));
    let at = 0;
    for (const x of parts) { out.set(x, at); at += x.length; }
    return out;
  }
  throw new Error("the FIT kept changing while it was read");
}
