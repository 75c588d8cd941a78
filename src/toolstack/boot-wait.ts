// `create` and `start` of a qemu domain return once its guest has booted.
// QEMU running is not a guest running: an OOM or a panic a second into the
// boot, or a kernel that never reaches /init, all leave QEMU started. The
// agent's READY line on the console is the sign that the guest is up. When
// QEMU exits first, or READY does not come in time, QEMU is stopped and the
// domain is left stopped on its extents: nothing it holds is released, so
// fixing the cause and `vnvdimm start` boots it on the same pages.
import { openEmulatedHost } from "../host/index.js";
import { consoleTail, isReady, qemuDomainPaths, readConsole, runningPid, waitReady } from "../backends/index.js";
import { destroyDomain, LifecycleError, type CreateResult } from "./lifecycle.js";
import { QemuDomainError, stopQemuDomain } from "./qemu-domain.js";

/** Seconds a guest gets to boot unless told otherwise: a TCG boot on a busy 2-core machine takes 30–60 s. */
export const DEFAULT_BOOT_TIMEOUT_S = 180;
/** Enough of the console to show a panic's cause, few enough for one screen. */
const TAIL_LINES = 8;

/**
 * Waits until the guest of a domain that `create` or `start` just launched
 * has booted (builtin domains and `timeoutS` 0 return at once). Throws
 * QemuDomainError "qemu.boot", with the console's last lines as its detail,
 * after stopping QEMU and recording the domain stopped.
 */
export async function awaitBoot(state: string, r: CreateResult, o: { timeoutS?: number } = {}): Promise<CreateResult> {
  const timeoutS = o.timeoutS ?? DEFAULT_BOOT_TIMEOUT_S;
  if (!r.qemu || timeoutS === 0) return r;
  const p = qemuDomainPaths(state, r.name);
  const t0 = Date.now();
  // A guest that said READY and then powered off by itself did boot.
  if (await waitReady(p.console, () => runningPid(p) !== null, timeoutS * 1000) || isReady(readConsole(p.console))) {
    return { ...r, qemu: { ...r.qemu, bootMs: Date.now() - t0 } };
  }
  const died = runningPid(p) === null;
  const afterS = Math.round((Date.now() - t0) / 1000);
  await stopQemuDomain(state, r.name, openEmulatedHost(state).dimms.map((x) => x.path));
  try {
    destroyDomain(state, r.name);
  } catch (e) {
    // Another process stopped it meanwhile: it is stopped either way.
    if (!(e instanceof LifecycleError && e.code === "domain.stopped")) throw e;
  }
  const tail = consoleTail(readConsole(p.console), TAIL_LINES);
  throw new QemuDomainError("qemu.boot",
    died ? `The guest of domain ${r.name} did not boot: QEMU exited ${afterS} s after it started`
      : `The guest of domain ${r.name} did not boot within ${timeoutS} s (its agent never said READY); QEMU was stopped`,
    `the domain is stopped on its extents, which stay held; see ${p.console}, then \`vnvdimm start ${r.name}\`` +
      (died ? "" : ` (a slow TCG host may need a longer --boot-timeout)`),
    tail.length ? tail : ["(the guest wrote nothing to its console)"]);
}
