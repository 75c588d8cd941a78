// Hypercall results, Xen style: a value, or an errno with a stable reason
// code. Hypercalls never throw on bad arguments (DESIGN.md: guest input gets
// a status code).

/**
 * The errnos the hypercalls return, with Xen's meanings:
 * EPERM not privileged for this; EINVAL malformed or out-of-range argument;
 * ESRCH no such domain; ENOENT the named region or mapping does not exist;
 * EEXIST already set up or mapped; EBUSY the page is not free; ENOSPC no room
 * (management area, domids); ENODEV no media behind a pmem-placed area;
 * EIO the media failed or the page is broken; EFAULT a guest access to an
 * unmapped gfn.
 */
export type Errno = "EPERM" | "EINVAL" | "ESRCH" | "ENOENT" | "EEXIST" | "EBUSY" | "ENOSPC" | "ENODEV" | "EIO" | "EFAULT";

export interface HypercallOk<T> {
  readonly ok: true;
  readonly value: T;
}

export interface HypercallError {
  readonly ok: false;
  readonly errno: Errno;
  /** A stable code such as "setup.overlap", for tests and tools. */
  readonly reason: string;
  readonly message: string;
}

export type HypercallResult<T> = HypercallOk<T> | HypercallError;

export function ok<T>(value: T): HypercallOk<T> {
  return { ok: true, value };
}

export function fail(errno: Errno, reason: string, message: string): HypercallError {
  return { ok: false, errno, reason, message };
}
