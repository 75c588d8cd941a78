// The "newc" cpio format the kernel unpacks an initramfs from
// (Documentation/driver-api/early-userspace/buffer-format.rst): a 110-byte
// ASCII header of 13 hex fields, the NUL-terminated name, the data, each
// padded to 4 bytes; "TRAILER!!!" ends the archive. Writing it here (instead
// of calling cpio) makes the image reproducible by construction — sorted
// names, mtime 0, owner root, inode numbers in order — and lets the archive
// hold device nodes without mknod, so building the image needs no root.

const S_IFDIR = 0o040000;
const S_IFREG = 0o100000;
const S_IFLNK = 0o120000;
const S_IFCHR = 0o020000;
const MAGIC = "070701";
const TRAILER = "TRAILER!!!";

export type CpioEntry =
  | { kind: "dir"; path: string; mode?: number }
  | { kind: "file"; path: string; mode: number; data: Uint8Array }
  | { kind: "symlink"; path: string; target: string }
  | { kind: "chardev"; path: string; mode: number; major: number; minor: number };

export class CpioError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "CpioError";
  }
}

const hex8 = (n: number): string => n.toString(16).padStart(8, "0");
const pad4 = (n: number): number => (4 - (n % 4)) % 4;

function typeBits(e: CpioEntry): number {
  switch (e.kind) {
    case "dir": return S_IFDIR | (e.mode ?? 0o755);
    case "file": return S_IFREG | (e.mode & 0o7777);
    case "symlink": return S_IFLNK | 0o777;
    case "chardev": return S_IFCHR | (e.mode & 0o7777);
  }
}

function body(e: CpioEntry): Uint8Array {
  if (e.kind === "file") return e.data;
  if (e.kind === "symlink") return new TextEncoder().encode(e.target);
  return new Uint8Array(0);
}

function checkPath(p: string): void {
  if (p === "" || p.startsWith("/") || p.split("/").some((s) => s === "" || s === "." || s === "..") || p.includes("\0")) {
    throw new CpioError(`cpio: bad archive path ${JSON.stringify(p)} (relative, no empty, . or .. parts)`);
  }
}

/**
 * One archive of `entries`, sorted by path (parents sort before children), so
 * the same entries always give the same bytes.
 */
export function encodeNewc(entries: readonly CpioEntry[]): Uint8Array {
  const sorted = [...entries].sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  for (let i = 0; i < sorted.length; i++) {
    checkPath(sorted[i]!.path);
    if (i > 0 && sorted[i - 1]!.path === sorted[i]!.path) throw new CpioError(`cpio: ${sorted[i]!.path} is listed twice`);
  }
  const enc = new TextEncoder();
  const parts: Uint8Array[] = [];
  let total = 0;
  const push = (b: Uint8Array): void => {
    parts.push(b);
    total += b.length;
  };
  const record = (ino: number, mode: number, nlink: number, name: string, data: Uint8Array, rdev: [number, number]): void => {
    const nameBytes = enc.encode(name + "\0");
    const fields = [ino, mode, 0, 0, nlink, 0, data.length, 0, 0, rdev[0], rdev[1], nameBytes.length, 0];
    const header = enc.encode(MAGIC + fields.map(hex8).join(""));
    push(header);
    push(nameBytes);
    push(new Uint8Array(pad4(header.length + nameBytes.length)));
    push(data);
    push(new Uint8Array(pad4(data.length)));
  };
  sorted.forEach((e, i) => {
    record(i + 1, typeBits(e), e.kind === "dir" ? 2 : 1, e.path, body(e), e.kind === "chardev" ? [e.major, e.minor] : [0, 0]);
  });
  record(0, 0, 1, TRAILER, new Uint8Array(0), [0, 0]);
  const out = new Uint8Array(total);
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}
