// A media backed by a sparse file, as a QEMU backing file or an emulated
// host DIMM. Created with ftruncate, so making it writes no zeros and costs
// no disk until data lands.
import { spawnSync } from "node:child_process";
import { closeSync, fchmodSync, fstatSync, fsyncSync, ftruncateSync, openSync, readSync, writeSync } from "node:fs";
import { MediaError } from "./errors.js";
import { OpenState, checkedOffset, checkedSize, refuseReadOnly, type Media } from "./media.js";

export interface CreateOptions {
  /** Replace an existing file; without it an existing path is media.exists. */
  overwrite?: boolean;
}

export interface OpenOptions {
  readOnly?: boolean;
}

export class SparseFileMedia implements Media {
  readonly sizeBytes: bigint;
  readonly readOnly: boolean;
  readonly path: string;
  private readonly fd: number;
  private readonly state: OpenState;

  private constructor(path: string, fd: number, sizeBytes: bigint, readOnly: boolean) {
    this.path = path;
    this.fd = fd;
    this.sizeBytes = sizeBytes;
    this.readOnly = readOnly;
    this.state = new OpenState(`media ${path}`);
  }

  /** Creates a sparse file of exactly `sizeBytes`, mode 0600: media hold a guest's data. */
  static create(path: string, sizeBytes: bigint, options: CreateOptions = {}): SparseFileMedia {
    checkedSize(sizeBytes);
    const fd = openFile(path, options.overwrite ? "w+" : "wx+", 0o600);
    try {
      // open() ignores the mode for a file that exists (overwrite).
      fchmodSync(fd, 0o600);
      ftruncateSync(fd, Number(sizeBytes));
    } catch (e) {
      closeSync(fd);
      throw ioError(`cannot size ${path} to ${sizeBytes} bytes`, path, e);
    }
    return new SparseFileMedia(path, fd, sizeBytes, false);
  }

  /** Opens an existing file; its size is the media size. */
  static open(path: string, options: OpenOptions = {}): SparseFileMedia {
    const readOnly = options.readOnly ?? false;
    const fd = openFile(path, readOnly ? "r" : "r+");
    const size = BigInt(fstatSync(fd).size);
    return new SparseFileMedia(path, fd, size, readOnly);
  }

  read(offset: bigint, length: number): Uint8Array {
    this.state.check();
    let pos = checkedOffset(this.sizeBytes, offset, length, "read");
    const out = new Uint8Array(length);
    let done = 0;
    while (done < length) {
      const n = this.io(() => readSync(this.fd, out, done, length - done, pos), "read", pos);
      if (n === 0) throw new MediaError("media.io", `short read from ${this.path} at ${pos}: the file is shorter than its ${this.sizeBytes} bytes`, { path: this.path, offset: pos });
      done += n;
      pos += n;
    }
    return out;
  }

  write(offset: bigint, bytes: Uint8Array): void {
    this.state.check();
    if (this.readOnly) refuseReadOnly(`media ${this.path}`);
    let pos = checkedOffset(this.sizeBytes, offset, bytes.length, "write");
    let done = 0;
    while (done < bytes.length) {
      const n = this.io(() => writeSync(this.fd, bytes, done, bytes.length - done, pos), "write", pos);
      done += n;
      pos += n;
    }
  }

  flush(): void {
    this.state.check();
    if (!this.readOnly) this.io(() => fsyncSync(this.fd), "flush", 0);
  }

  /**
   * Punches a hole with fallocate(1) (Node has no fallocate(2)): the range
   * then reads as zeros and takes no disk. False where the file system or the
   * machine cannot, and the caller writes zeros.
   */
  discard(offset: bigint, length: bigint): boolean {
    this.state.check();
    if (this.readOnly) refuseReadOnly(`media ${this.path}`);
    if (length === 0n) return true;
    checkedOffset(this.sizeBytes, offset, Number(length), "write");
    const r = spawnSync("fallocate", ["--punch-hole", "--keep-size", "--offset", String(offset), "--length", String(length), this.path], { stdio: "ignore" });
    if (r.status !== 0) return false;
    this.flush();
    return true;
  }

  close(): void {
    if (this.state.close()) closeSync(this.fd);
  }

  private io<T>(fn: () => T, op: string, pos: number): T {
    try {
      return fn();
    } catch (e) {
      throw ioError(`${op} on ${this.path} at ${pos} failed`, this.path, e);
    }
  }
}

function openFile(path: string, flags: string, mode?: number): number {
  try {
    return openSync(path, flags, mode);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === "EEXIST") {
      throw new MediaError("media.exists", `${path} already exists`, { path }, e);
    }
    throw ioError(`cannot open ${path}`, path, e);
  }
}

function ioError(message: string, path: string, cause: unknown): MediaError {
  const code = (cause as NodeJS.ErrnoException).code;
  return new MediaError("media.io", `${message}: ${code ?? String(cause)}`, { path, errno: code }, cause);
}
