// Runs a script in a running guest through its agent port (a unix socket
// QEMU binds to the guest's ttyS1). One request at a time per domain.
import { createConnection } from "node:net";
import { randomBytes } from "node:crypto";
import { AgentReplyParser, encodeRequest, type AgentReply } from "./agent-protocol.js";
import { withFileLock } from "./file-lock.js";

export class AgentError extends Error {
  constructor(readonly code: "agent.unreachable" | "agent.timeout", message: string) {
    super(message);
    this.name = "AgentError";
  }
}

export interface AgentTarget {
  socket: string;
  lock: string;
}

/** Sends `script` and resolves with its reply; AgentError when the guest cannot be reached or does not answer in time. */
export function agentRun(t: AgentTarget, script: string, timeoutMs = 60_000): Promise<AgentReply> {
  return withFileLock(t.lock, () => exchange(t.socket, script, timeoutMs), timeoutMs + 60_000);
}

function exchange(socket: string, script: string, timeoutMs: number): Promise<AgentReply> {
  const id = randomBytes(8).toString("hex");
  const parser = new AgentReplyParser(id);
  return new Promise((resolve, reject) => {
    const sock = createConnection(socket);
    let settled = false;
    const finish = (f: () => void) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      sock.destroy();
      f();
    };
    const timer = setTimeout(() => finish(() => reject(new AgentError("agent.timeout", `the guest agent did not answer within ${Math.round(timeoutMs / 1000)} s`))), timeoutMs);
    sock.setEncoding("latin1");
    sock.on("connect", () => sock.write(encodeRequest(id, script)));
    sock.on("data", (chunk: string) => {
      const r = parser.feed(chunk);
      if (r) finish(() => resolve(r));
    });
    sock.on("error", (e) => finish(() => reject(new AgentError("agent.unreachable", `cannot reach the guest agent: ${e.message}`))));
    sock.on("close", () => finish(() => reject(new AgentError("agent.unreachable", "the guest agent's port closed (did the guest stop?)"))));
  });
}

/**
 * Asks the guest to power off. There is no reply: the connection stays open
 * until QEMU closes it by exiting (QEMU may drop input still queued on a
 * socket its client has closed), or until `timeoutMs`.
 */
export function agentPoweroff(t: AgentTarget, timeoutMs = 20_000): Promise<void> {
  return withFileLock(t.lock, () => new Promise<void>((resolve) => {
    const sock = createConnection(t.socket);
    const done = () => { clearTimeout(timer); sock.destroy(); resolve(); };
    const timer = setTimeout(done, timeoutMs);
    sock.on("connect", () => sock.write(encodeRequest(randomBytes(8).toString("hex"), "sync; poweroff -f")));
    sock.on("close", done);
    sock.on("error", done);
  }), timeoutMs + 30_000);
}
