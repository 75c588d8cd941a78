// Exact u64 JSON both ways: what toJson writes, parseJsonExact reads back
// without rounding, and text that merely looks numeric is left alone.
import { test } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import { parseJsonExact, toJson } from "../../src/api/index.js";

test("integers past 2^53 come back as exact bigints; everything else as JSON.parse gives it", () => {
  const text = '{"cookie": 18446744073709551615, "small": 42, "neg": -9007199254740993, "f": 1.5e300, "s": "12345678901234567890", "q": "a\\"1234567890123456789", "arr": [9007199254740993, 1]}';
  assert.deepEqual(parseJsonExact(text), {
    cookie: 18446744073709551615n, small: 42, neg: -9007199254740993n, f: 1.5e300, s: "12345678901234567890", q: 'a"1234567890123456789', arr: [9007199254740993n, 1],
  });
  assert.throws(() => parseJsonExact("{ 1: 2 }"), SyntaxError);
});

test("toJson then parseJsonExact is the identity on u64 values, and the text is what JSON.stringify would print for small ones", () => {
  fc.assert(fc.property(fc.bigInt({ min: 0n, max: (1n << 64n) - 1n }), fc.string(), fc.integer(), (big, s, n) => {
    const v = { big, s, n, list: [big, n] };
    const back = parseJsonExact(toJson(v)) as typeof v;
    const exact = (x: bigint) => (x <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(x) : x);
    assert.deepEqual(back, { big: exact(big), s, n, list: [exact(big), n] });
  }));
  assert.equal(toJson({ a: 1n, b: [2] }, 0), JSON.stringify({ a: 1, b: [2] }));
});

test("a string that looks like toJson's internal mark stays a string", () => {
  const v = { name: "\u0000BIG0\u0000", size: 5n };
  assert.deepEqual(JSON.parse(toJson(v)), { name: "\u0000BIG0\u0000", size: 5 });
  assert.deepEqual(parseJsonExact('{"name": "\\u0000BIGx:12", "n": 18446744073709551615}'), { name: "\u0000BIGx:12", n: 18446744073709551615n });
});
