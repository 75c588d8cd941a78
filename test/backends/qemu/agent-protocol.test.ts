// The guest agent's reply parser: only events for its own request id, in any chunking, never a throw on guest output.
import { test } from "node:test";
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import fc from "fast-check";
import { AgentReplyParser, encodeRequest, type AgentEvent } from "../../../src/backends/index.js";

const b64 = (s: string) => Buffer.from(s).toString("base64").replace(/.{76}/g, "$&\n");
const reply = (id: string, out: string, err: string, rc: number) =>
  `@@@VNVDIMM-OUT ${id}@@@\n${b64(out)}\n@@@VNVDIMM-ERR ${id}@@@\n${b64(err)}\n@@@VNVDIMM-END ${id} rc=${rc}@@@\n`;
const text = (b: Uint8Array) => Buffer.from(b).toString();
const kinds = (es: AgentEvent[]) => es.map((e) => e.kind);

test("a request is a header with the payload's length and sha256 prefix, then the base64 script", () => {
  const r = encodeRequest("ab12", "ndctl list -N");
  const [head, body] = r.split("\n");
  assert.equal(head, `@@@VNVDIMM-REQ ab12 ${body!.length} ${createHash("sha256").update(body!).digest("hex").slice(0, 16)}@@@`);
  assert.equal(Buffer.from(body!, "base64").toString(), "ndctl list -N");
  assert.throws(() => encodeRequest("a b", "x"));
});

test("ACK, then the reply to our id, after other ids' replies and console noise, split anywhere", () => {
  const stream = `junk\r\n${reply("other", "not ours", "", 0)}@@@VNVDIMM-ACK other@@@\n@@@VNVDIMM-ACK me@@@\n${reply("me", "hello\n".repeat(40), "warn\n", 3)}trailing`;
  for (let cut = 0; cut < stream.length; cut += 7) {
    const p = new AgentReplyParser("me");
    const events = [...p.feed(stream.slice(0, cut)), ...p.feed(stream.slice(cut))];
    assert.deepEqual(kinds(events), ["ack", "reply"], `cut at ${cut}`);
    const r = (events[1] as Extract<AgentEvent, { kind: "reply" }>).reply;
    assert.deepEqual([text(r.stdout), text(r.stderr), r.status], ["hello\n".repeat(40), "warn\n", 3]);
  }
});

test("a damaged reply asks for it again; the resent reply is then taken", () => {
  const p = new AgentReplyParser("me");
  assert.deepEqual(kinds(p.feed(`@@@VNVDIMM-OUT me@@@\naGVsbG8=\n@@@VNVDIMM-END me rc=0@@@\n`)), ["damaged"], "no ERR section");
  assert.deepEqual(kinds(p.feed(`@@@VNVDIMM-OUT me@@@\nnot base64!\n@@@VNVDIMM-ERR me@@@\n@@@VNVDIMM-END me rc=0@@@\n`)), ["damaged"], "bad base64");
  assert.deepEqual(kinds(p.feed(`@@@VNVDIMM-OUT me@@@\naGVsbG8=\n@@@VNVDIMM-READY@@@\n@@@VNVDIMM-ERR me@@@\n@@@VNVDIMM-END me rc=0@@@\n`)), ["damaged"], "a foreign marker inside");
  assert.deepEqual(kinds(p.feed(`@@@VNVDIMM-NAK me@@@\n`)), ["nak"]);
  const ok = p.feed(reply("me", "ok", "", 0));
  assert.equal(text((ok[0] as Extract<AgentEvent, { kind: "reply" }>).reply.stdout), "ok");
  assert.deepEqual(p.feed(reply("me", "again", "", 0)), [], "nothing after the reply");
});

test("property: arbitrary guest output never throws and never yields events for an id it does not carry", () => {
  const markers = fc.constantFrom("@@@VNVDIMM-OUT x@@@\n", "@@@VNVDIMM-ERR x@@@\n", "@@@VNVDIMM-END x rc=1@@@\n", "@@@VNVDIMM-ACK x@@@\n", "\n", "QUJD\n");
  fc.assert(fc.property(fc.array(fc.oneof(fc.string(), markers)), (chunks) => {
    const p = new AgentReplyParser("me");
    for (const c of chunks) assert.deepEqual(p.feed(c), []);
  }));
});
