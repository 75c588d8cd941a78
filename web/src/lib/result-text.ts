// The one-line results of actions whose outcome depends on the daemon's
// answer: what a machine check reached, and whether an attach hotplugged.
import type { AttachResult, MceResult } from "../api/types";
import { hex } from "./format";

export function mceDone(m: MceResult): string {
  const page = `MFN ${hex(m.mfn)}`;
  if (m.alreadyBroken) return `${page} was already broken${m.domain ? ` (a page of domain ${m.domain})` : ""}; nothing changed`;
  if (m.domain === null) {
    return m.owner === null ? `Injected an MCE on ${page}, a free page: it is never handed out again` : `Injected an MCE on ${page} (domid ${m.owner})`;
  }
  if (m.onMce?.action === "stopped") return `Injected an MCE on ${page} of domain ${m.domain}: on_mce = "${m.onMce.policy}" stopped it${m.onMce.why ? ` (${m.onMce.why})` : ""}; its guest finds the page in its badblocks at its next boot`;
  if (m.onMce?.action === "told") return `Injected an MCE on ${page}: domain ${m.domain}'s running guest marked it in its badblocks (${m.onMce.marked.join(", ")})`;
  if (m.guestTold) return `Injected an MCE on ${page}: domain ${m.domain}'s running guest was told and scrubbed`;
  return `Injected an MCE on ${page} of domain ${m.domain}; its guest finds it at its next scrub`;
}

export function attachDone(a: AttachResult, running: boolean): string {
  const what = `Attached ${a.extent.id} to ${a.name}`;
  if (a.hotplugged) return `${what}: hotplugged into the running guest`;
  return running ? what : `${what}; the guest finds it when the domain starts`;
}
