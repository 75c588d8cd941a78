// The guest agent's reply parser: finds exactly its own reply, in any chunking, and never throws on guest output.
import { test } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import { AgentReplyParser, encodeRequest } from "../../../src/backends/index.js";

const b64 = (s: string) => Buffer.from(s).toString("base64").replace(/.{76}/g, "$&\n");
const reply = (id: string, out: string, err: string, rc: number) =>
  `@@@VNVDIMM-OUT ${id}@@@\n${b64(out)}\n@@@VNVDIMM-ERR ${id}@@@\n${b64(err)}\n@@@VNVDIMM-END ${id} rc=${rc}@@@\n`;
const text = (b: Uint8Array) => Buffer.from(b).toString();

test("a request is a header with the payload length, then the base64 script", () => {
  const r = encodeRequest("ab12", "ndctl list -N");
  const [head, body] = r.split("\n");
  assert.equal(head, `@@@VNVDIMM-REQ ab12 ${body!.length}@@@`);
  assert.equal(Buffer.from(body!, "base64").toString(), "ndctl list -N");
  assert.throws(() => encodeRequest("a b", "x"));
});

test("the reply to our id, after other ids' replies and console noise, split anywhere", () => {
  const stream = `junk\r\n${reply("other", "not ours", "", 0)}@@@VNVDIMM-READY@@@\n${reply("me", "hello\n".repeat(40), "warn\n", 3)}trailing`;
  for (let cut = 0; cut < stream.length; cut += 7) {
    const p = new AgentReplyParser("me");
    p.feed(stream.slice(0, cut));
    const r = p.feed(stream.slice(cut));
    assert.ok(r, `cut at ${cut}`);
    assert.deepEqual([text(r.stdout), text(r.stderr), r.status], ["hello\n".repeat(40), "warn\n", 3]);
  }
});

test("an incomplete or mangled reply is not a reply", () => {
  const p = new AgentReplyParser("me");
  assert.equal(p.feed(`@@@VNVDIMM-OUT me@@@\naGVsbG8=\n@@@VNVDIMM-END me rc=0@@@\n`), undefined, "no ERR section");
  assert.equal(p.feed(`@@@VNVDIMM-OUT me@@@\nnot base64!\n@@@VNVDIMM-ERR me@@@\n@@@VNVDIMM-END me rc=0@@@\n`), undefined, "bad base64");
  // A retransmission after garbage still works.
  assert.equal(text(p.feed(reply("me", "ok", "", 0))!.stdout), "ok");
});

test("property: arbitrary guest output never throws and never answers for an id it does not carry", () => {
  fc.assert(fc.property(fc.array(fc.oneof(fc.string(), fc.constantFrom("@@@VNVDIMM-OUT x@@@\n", "@@@VNVDIMM-ERR x@@@\n", "@@@VNVDIMM-END x rc=1@@@\n", "\n", "QUJD\n"))), (chunks) => {
    const p = new AgentReplyParser("me");
    for (const c of chunks) assert.equal(p.feed(c), undefined);
  }));
});
