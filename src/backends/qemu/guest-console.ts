// The guest's serial console log (ttyS0): /init's first line, the boot
// report between markers, and READY once the agent serves its port.
import { readFileSync } from "node:fs";
import { setTimeout as sleep } from "node:timers/promises";

export const READY_MARK = "@@@VNVDIMM-READY";
const BOOT_BEGIN = "@@@VNVDIMM-BOOT-BEGIN@@@";
const BOOT_END = "@@@VNVDIMM-BOOT-END@@@";

export function readConsole(path: string): string {
  try {
    return readFileSync(path, "latin1");
  } catch {
    return "";
  }
}

/** What the guest's ndctl printed at boot (between the markers), or undefined before it finished. */
export function bootReport(consoleText: string): string | undefined {
  const a = consoleText.indexOf(BOOT_BEGIN);
  const b = consoleText.indexOf(BOOT_END, a);
  return a >= 0 && b > a ? consoleText.slice(a + BOOT_BEGIN.length, b).trim() : undefined;
}

export const isReady = (consoleText: string): boolean => consoleText.includes(READY_MARK);

const PANIC = /Kernel panic - not syncing/;

/**
 * Up to `n` non-blank lines that say why a boot failed, as the guest wrote
 * them but for the serial line's CRs: the last ones, or, after a kernel
 * panic, the ones that end with the panic line where there are enough before
 * it (the call trace after it says less than the lines before it).
 */
export function consoleTail(consoleText: string, n: number): string[] {
  const lines = consoleText.split("\n").map((l) => l.replace(/\r+$/, "").replace(/\s+$/, "")).filter((l) => l.trim() !== "");
  let panic = -1;
  lines.forEach((l, i) => { if (PANIC.test(l)) panic = i; });
  if (panic < 0) return lines.slice(-n);
  const start = Math.max(0, panic + 1 - n);
  return lines.slice(start, start + n);
}

/** Waits until the agent is READY; false when `alive()` turns false or time runs out. */
export async function waitReady(path: string, alive: () => boolean, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (isReady(readConsole(path))) return true;
    if (!alive()) return false;
    await sleep(50);
  }
  return false;
}
