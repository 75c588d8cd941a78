// Read-only access to a user-named file: inspect never opens anything for writing.
import { closeSync, constants, fstatSync, openSync, readSync } from "node:fs";
import { UserError } from "./errors.js";

export interface UserFileOptions {
  /** What the file is, for messages: "domain config", "machine spec". */
  what: string;
  maxBytes: number;
  /** What to do when it cannot be read. */
  hint: string;
  /** What to do when it is too large; default `hint`. */
  limitHint?: string;
}

/**
 * A user-named file, read whole and bounded: only a regular file (a FIFO or a
 * device such as /dev/zero never ends), and only if fstat says it holds at
 * most `maxBytes`, checked before a byte is read. O_NONBLOCK keeps the open of
 * a FIFO from waiting for a writer.
 */
export function readUserFile(path: string, o: UserFileOptions): Buffer {
  let fd: number;
  try {
    fd = openSync(path, constants.O_RDONLY | constants.O_NONBLOCK);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    const why = code === "ENOENT" ? "no such file" : code === "EACCES" ? "permission denied" : code ?? "unreadable";
    throw new UserError("not-found", `Cannot read ${o.what} ${path}: ${why}`, o.hint, 2, "file.unreadable");
  }
  try {
    const st = fstatSync(fd);
    if (!st.isFile()) throw new UserError("usage", `Cannot read ${o.what} ${path}: not a regular file`, o.hint, 2, "file.not-regular");
    if (st.size > o.maxBytes) {
      throw new UserError("usage", `Cannot read ${o.what} ${path}: it is ${st.size} bytes, over the limit of ${o.maxBytes}`, o.limitHint ?? o.hint, 2, "file.too-large");
    }
    const out = Buffer.alloc(st.size);
    let done = 0;
    while (done < out.length) {
      const n = readSync(fd, out, done, out.length - done, done);
      if (n === 0) break;
      done += n;
    }
    return out.subarray(0, done);
  } catch (e) {
    if (e instanceof UserError) throw e;
    throw new UserError("io", `Cannot read ${o.what} ${path}: ${(e as NodeJS.ErrnoException).code ?? String(e)}`, o.hint, 2, "file.unreadable");
  } finally {
    closeSync(fd);
  }
}

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
