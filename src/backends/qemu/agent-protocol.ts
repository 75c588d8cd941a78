// The host side of the guest agent's protocol (guest/agent.sh has the
// grammar). Requests are a header line and a base64 script; the agent
// acknowledges a script that arrived whole (or asks for it again), and its
// reply comes back between markers, base64 inside. The parser is pure and
// never throws: whatever the guest writes, it yields only events for the
// request id it was made for.

import { createHash } from "node:crypto";

export interface AgentReply {
  stdout: Uint8Array;
  stderr: Uint8Array;
  status: number;
}

export type AgentEvent =
  | { kind: "ack" }
  /** The script arrived damaged: send it again. */
  | { kind: "nak" }
  /** A reply ended but did not parse (lost or damaged lines): ask again, the agent keeps it. */
  | { kind: "damaged" }
  | { kind: "reply"; reply: AgentReply };

/** The header names the body's length and the first 16 hex digits of its sha256, so a damaged request is asked for again, never run. */
export function encodeRequest(id: string, script: string): string {
  if (!/^[A-Za-z0-9]{1,64}$/.test(id)) throw new Error(`bad agent request id ${id}`);
  const body = Buffer.from(script, "utf8").toString("base64");
  const sum = createHash("sha256").update(body).digest("hex").slice(0, 16);
  return `@@@VNVDIMM-REQ ${id} ${body.length} ${sum}@@@\n${body}`;
}

const B64_LINE = /^[A-Za-z0-9+/=]*$/;

export class AgentReplyParser {
  #partial = "";
  #section: "out" | "err" | null = null;
  #out: string[] = [];
  #err: string[] = [];
  #bad = false;
  #done = false;

  constructor(private readonly id: string) {}

  /** Feeds guest output; returns the events it completes, in order. */
  feed(text: string): AgentEvent[] {
    const events: AgentEvent[] = [];
    if (this.#done) return events;
    this.#partial += text;
    let nl: number;
    while (!this.#done && (nl = this.#partial.indexOf("\n")) >= 0) {
      const e = this.#line(this.#partial.slice(0, nl).replace(/\r$/, ""));
      this.#partial = this.#partial.slice(nl + 1);
      if (e) events.push(e);
    }
    if (this.#partial.length > 1 << 20 && !this.#partial.includes("\n")) this.#partial = "";
    return events;
  }

  #line(line: string): AgentEvent | undefined {
    const id = this.id;
    if (line === `@@@VNVDIMM-ACK ${id}@@@`) return { kind: "ack" };
    if (line === `@@@VNVDIMM-NAK ${id}@@@`) return { kind: "nak" };
    if (line === `@@@VNVDIMM-OUT ${id}@@@`) { this.#out = []; this.#err = []; this.#bad = false; this.#section = "out"; return undefined; }
    if (line === `@@@VNVDIMM-ERR ${id}@@@`) { if (this.#section === "out") this.#section = "err"; else this.#bad = true; return undefined; }
    const end = new RegExp(`^@@@VNVDIMM-END ${id} rc=(\\d{1,3})@@@$`).exec(line);
    if (end) {
      const whole = this.#section === "err" && !this.#bad;
      this.#section = null;
      if (!whole) return { kind: "damaged" };
      this.#done = true;
      return { kind: "reply", reply: { stdout: decode(this.#out), stderr: decode(this.#err), status: Number(end[1]) } };
    }
    if (line.startsWith("@@@VNVDIMM-")) {
      // Another marker inside our reply means lines of it were lost.
      if (this.#section) this.#bad = true;
      return undefined;
    }
    if (!this.#section) return undefined;
    if (!B64_LINE.test(line)) { this.#bad = true; return undefined; }
    (this.#section === "out" ? this.#out : this.#err).push(line);
    return undefined;
  }
}

function decode(lines: readonly string[]): Uint8Array {
  return new Uint8Array(Buffer.from(lines.join(""), "base64"));
}
