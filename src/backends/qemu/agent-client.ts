// Runs a script in a running guest through its agent port (a unix socket
// QEMU binds to the guest's ttyS1). One request at a time per domain.
import { createConnection } from "node:net";
import { randomBytes } from "node:crypto";
import { AgentReplyParser, encodeRequest, type AgentReply } from "./agent-protocol.js";
import { withFileLock } from "../../media/index.js";

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

/** Sends of one request at most: the first and three more, for a script the guest never acknowledged or a reply that arrived damaged. */
const MAX_SENDS = 4;

function exchange(socket: string, script: string, timeoutMs: number): Promise<AgentReply> {
  const id = randomBytes(8).toString("hex");
  const request = encodeRequest(id, script);
  const parser = new AgentReplyParser(id);
  // Long enough for the request to cross the serial line (about 50 KB/s) at a third of that speed.
  const ackMs = 5_000 + request.length / 16;
  return new Promise((resolve, reject) => {
    const sock = createConnection(socket);
    let settled = false, sends = 0;
    let ackTimer: NodeJS.Timeout | undefined;
    const finish = (f: () => void) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      clearTimeout(ackTimer);
      sock.destroy();
      f();
    };
    const send = () => {
      if (++sends > MAX_SENDS) return finish(() => reject(new AgentError("agent.timeout", `the guest agent did not take the request after ${MAX_SENDS} tries`)));
      clearTimeout(ackTimer);
      ackTimer = setTimeout(send, ackMs);
      sock.write(request);
    };
    const timer = setTimeout(() => finish(() => reject(new AgentError("agent.timeout", `the guest agent did not answer within ${Math.round(timeoutMs / 1000)} s`))), timeoutMs);
    sock.setEncoding("latin1");
    sock.on("connect", send);
    sock.on("data", (chunk: string) => {
      for (const e of parser.feed(chunk)) {
        if (e.kind === "ack") clearTimeout(ackTimer);
        else if (e.kind === "nak" || e.kind === "damaged") send();
        else return finish(() => resolve(e.reply));
      }
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
    // Read (and drop) the ACK: a paused socket would never see QEMU's end.
    sock.resume();
    sock.on("close", done);
    sock.on("error", done);
  }), timeoutMs + 30_000);
}
