// Read-only access to a user-named file: inspect never opens anything for writing.
import { closeSync, fstatSync, openSync, readSync } from "node:fs";
import { UserError } from "./errors.js";

export interface OpenedFile {
  readonly path: string;
  readonly sizeBytes: number;
  read(offset: number, length: number): Uint8Array;
  close(): void;
}

export function openReadOnly(path: string): OpenedFile {
  let fd: number;
  try {
    fd = openSync(path, "r");
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === "ENOENT") throw new UserError("not-found", `Cannot open ${path}: no such file`, "check the path");
    if (code === "EACCES") throw new UserError("io", `Cannot open ${path}: permission denied`, "run as a user that can read it");
    throw new UserError("io", `Cannot open ${path}: ${code ?? String(e)}`);
  }
  const st = fstatSync(fd);
  if (!st.isFile() && !st.isBlockDevice()) {
    closeSync(fd);
    throw new UserError("usage", `Cannot inspect ${path}: not a regular file or block device`);
  }
  return {
    path,
    sizeBytes: st.size,
    read(offset, length) {
      const out = new Uint8Array(length);
      let done = 0;
      while (done < length) {
        const n = readSync(fd, out, done, length - done, offset + done);
        if (n === 0) break;
        done += n;
      }
      return done === length ? out : out.subarray(0, done);
    },
    close: () => closeSync(fd),
  };
}
