// The host side of the guest agent's protocol (guest/agent.sh has the
// grammar). Requests are a header line and a base64 script; replies come
// back between markers, base64 inside. The reply parser is pure and never
// throws: whatever the guest writes, the host either finds the complete
// reply to its own request id or keeps waiting (and times out).

export interface AgentReply {
  stdout: Uint8Array;
  stderr: Uint8Array;
  status: number;
}

export function encodeRequest(id: string, script: string): string {
  if (!/^[A-Za-z0-9]{1,64}$/.test(id)) throw new Error(`bad agent request id ${id}`);
  const body = Buffer.from(script, "utf8").toString("base64");
  return `@@@VNVDIMM-REQ ${id} ${body.length}@@@\n${body}`;
}

const B64_LINE = /^[A-Za-z0-9+/=]*$/;

/** Collects lines and answers once the reply to `id` is complete. */
export class AgentReplyParser {
  #partial = "";
  #section: "out" | "err" | null = null;
  #out: string[] = [];
  #err: string[] = [];
  #reply: AgentReply | undefined;
  #bad = false;

  constructor(private readonly id: string) {}

  get reply(): AgentReply | undefined {
    return this.#reply;
  }

  /** Feeds guest output; returns the reply once its END marker arrived. */
  feed(text: string): AgentReply | undefined {
    if (this.#reply) return this.#reply;
    this.#partial += text;
    let nl: number;
    while (!this.#reply && (nl = this.#partial.indexOf("\n")) >= 0) {
      this.#line(this.#partial.slice(0, nl).replace(/\r$/, ""));
      this.#partial = this.#partial.slice(nl + 1);
    }
    if (this.#partial.length > 1 << 20 && !this.#partial.includes("\n")) this.#partial = "";
    return this.#reply;
  }

  #line(line: string): void {
    const id = this.id;
    if (line === `@@@VNVDIMM-OUT ${id}@@@`) { this.#reset(); this.#section = "out"; return; }
    if (line === `@@@VNVDIMM-ERR ${id}@@@`) { if (this.#section === "out") this.#section = "err"; else this.#bad = true; return; }
    const end = new RegExp(`^@@@VNVDIMM-END ${id} rc=(\\d{1,3})@@@$`).exec(line);
    if (end) {
      if (this.#section === "err" && !this.#bad) {
        this.#reply = { stdout: decode(this.#out), stderr: decode(this.#err), status: Number(end[1]) };
      }
      this.#section = null;
      return;
    }
    if (line.startsWith("@@@VNVDIMM-")) { this.#section = null; return; }
    if (!this.#section) return;
    if (!B64_LINE.test(line)) { this.#bad = true; return; }
    (this.#section === "out" ? this.#out : this.#err).push(line);
  }

  #reset(): void {
    this.#out = [];
    this.#err = [];
    this.#bad = false;
  }
}

function decode(lines: readonly string[]): Uint8Array {
  return new Uint8Array(Buffer.from(lines.join(""), "base64"));
}
