// A copy-on-write view of a media: reads see the media, writes land in memory
// and are gone at close. A read-only host boot uses it, so that what a boot
// writes by itself (the frame table of pmem_mgmt=pmem, rebuilt at every boot)
// never reaches media that are open read-only.
import { OpenState, checkedOffset, type Media } from "./media.js";

const PAGE = 4096;

export function overlayMedia(inner: Media): Media {
  const pages = new Map<number, Uint8Array>();
  const state = new OpenState("overlay media");
  const size = Number(inner.sizeBytes);
  const page = (i: number): Uint8Array => {
    let p = pages.get(i);
    if (!p) pages.set(i, p = inner.read(BigInt(i * PAGE), Math.min(PAGE, size - i * PAGE)));
    return p;
  };
  return {
    sizeBytes: inner.sizeBytes,
    readOnly: false,
    read(offset, length) {
      state.check();
      const at = checkedOffset(inner.sizeBytes, offset, length, "read");
      const out = inner.read(offset, length);
      if (pages.size === 0 || length === 0) return out;
      for (let i = Math.floor(at / PAGE); i * PAGE < at + length; i++) {
        const p = pages.get(i);
        if (!p) continue;
        const from = Math.max(at, i * PAGE), to = Math.min(at + length, i * PAGE + p.length);
        out.set(p.subarray(from - i * PAGE, to - i * PAGE), from - at);
      }
      return out;
    },
    write(offset, bytes) {
      state.check();
      const at = checkedOffset(inner.sizeBytes, offset, bytes.length, "write");
      for (let i = Math.floor(at / PAGE); i * PAGE < at + bytes.length; i++) {
        const from = Math.max(at, i * PAGE), to = Math.min(at + bytes.length, (i + 1) * PAGE);
        page(i).set(bytes.subarray(from - at, to - at), from - i * PAGE);
      }
    },
    flush: () => state.check(),
    close() {
      if (state.close()) inner.close();
    },
  };
}
