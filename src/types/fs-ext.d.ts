// The one call vnvdimm uses from fs-ext: flock(2) on a file descriptor.
declare module "fs-ext" {
  /** Throws an ErrnoException (EAGAIN/EWOULDBLOCK for a held "exnb" lock). */
  export function flockSync(fd: number, flags: "sh" | "ex" | "shnb" | "exnb" | "un"): void;
  const fsExt: { flockSync: typeof flockSync };
  export default fsExt;
}
