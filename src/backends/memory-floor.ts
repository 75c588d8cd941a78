// The least guest RAM each backend can run a guest in. The toolstack asks
// before it allocates anything, so a config that cannot boot is refused up
// front instead of failing after `create` reported success.
import { QEMU_GUEST_MIN_MEMORY_MIB } from "./qemu/guest-memory.js";

/** MiB, or undefined when the backend has no floor (the builtin probe guest lives in the toolstack's process). */
export function guestMemoryFloorMiB(backend: string): { minMiB: number; why: string } | undefined {
  return backend === "qemu" ? { minMiB: QEMU_GUEST_MIN_MEMORY_MIB, why: "the qemu backend's guest image (below it the guest dies of OOM while it boots)" } : undefined;
}
