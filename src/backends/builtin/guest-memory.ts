// Guest-physical memory of a builtin domain: every access is translated
// through the hypervisor's P2M (gfn → mfn), page by page, and only then
// reaches the host media. A guest can reach nothing the P2M does not map to
// it: not another domain's pages, not management or broken pages, not its own
// label area (owned but unmapped). Contiguous runs are coalesced.
import { PAGE_BYTES, type Hypervisor, type MediaResolver } from "../../hypervisor/index.js";
import { GuestMemoryFault, type GuestMemory } from "../../devicemodel/index.js";

const PAGE = BigInt(PAGE_BYTES);

export interface GuestMemoryOptions {
  /** Guest-physical ranges the guest may not write (unarmed vNVDIMMs). */
  readOnly?: (gpa: bigint) => boolean;
}

export function hypervisorGuestMemory(hv: Hypervisor, domid: number, media: MediaResolver, opts: GuestMemoryOptions = {}): GuestMemory {
  /** Splits [gpa, gpa+len) into runs of host-contiguous pages. */
  function runs(gpa: bigint, length: number): { spa: bigint; at: number; n: number; gpa: bigint }[] {
    const out: { spa: bigint; at: number; n: number; gpa: bigint }[] = [];
    let at = 0;
    while (at < length) {
      const g = gpa + BigInt(at);
      const t = hv.translate(domid, Number(g / PAGE));
      if (!t.ok) throw new GuestMemoryFault(g, t.reason.includes("broken") ? "broken" : "unmapped");
      const inPage = Number(PAGE - (g % PAGE));
      const n = Math.min(inPage, length - at);
      const spa = BigInt(t.value) * PAGE + (g % PAGE);
      const last = out[out.length - 1];
      if (last && last.spa + BigInt(last.n) === spa) last.n += n;
      else out.push({ spa, at, n, gpa: g });
      at += n;
    }
    return out;
  }
  return {
    read(gpa, length) {
      const rs = runs(gpa, length);
      // One host-contiguous run (the usual case): the media's buffer is the answer, no second copy.
      if (rs.length === 1) {
        const w = media(rs[0]!.spa, BigInt(length));
        if (!w) throw new GuestMemoryFault(gpa, "unmapped");
        return w.media.read(w.offset, length);
      }
      const buf = new Uint8Array(length);
      for (const r of rs) {
        const w = media(r.spa, BigInt(r.n));
        if (!w) throw new GuestMemoryFault(r.gpa, "unmapped");
        buf.set(w.media.read(w.offset, r.n), r.at);
      }
      return buf;
    },
    write(gpa, bytes) {
      // Both ends: a write that starts below an unarmed window may not run into it.
      const last = gpa + BigInt(Math.max(0, bytes.length - 1));
      if (opts.readOnly?.(gpa) || opts.readOnly?.(last)) throw new GuestMemoryFault(opts.readOnly?.(gpa) ? gpa : last, "read-only");
      for (const r of runs(gpa, bytes.length)) {
        const w = media(r.spa, BigInt(r.n));
        if (!w) throw new GuestMemoryFault(r.gpa, "unmapped");
        w.media.write(w.offset, bytes.subarray(r.at, r.at + r.n));
      }
    },
  };
}
