import { test } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import { displayWidth, termLines, termText } from "../../src/cli/terminal-text.js";
import { table } from "../../src/cli/table.js";
import { toJson } from "../../src/cli/json.js";

/** Anything a terminal could act on, or that would hide text: C0, DEL, C1, format characters, separators, lone surrogates. */
const UNSAFE = /[\p{Cc}\p{Cf}\p{Zl}\p{Zp}\p{Cs}]/u;

test("termText shows control, format and invisible characters as escapes, and a backslash as two", () => {
  assert.equal(termText("\x1b]0;PWNED\x07"), "\\x1b]0;PWNED\\x07");
  assert.equal(termText("\x1b[2J\x9b31m\x7f\0"), "\\x1b[2J\\x9b31m\\x7f\\x00");
  assert.equal(termText("evil\u202etxt.exe\u200b\u2028"), "evil\\u202etxt.exe\\u200b\\u2028");
  assert.equal(termText("\u{e0041}\ud800"), "\\u{e0041}\\ud800");
  assert.equal(termText("a\\x1b"), "a\\\\x1b", "a name that spells an escape is not mistaken for one");
  assert.equal(termText("data é 漢字 ok"), "data é 漢字 ok");
  assert.equal(termLines("two\nlines\x1b[1A holds \"\\u00e4\""), "two\nlines\\x1b[1A holds \"\\u00e4\"");
});

test("property: termText's output never holds a control, format or invisible character", () => {
  fc.assert(fc.property(fc.string({ unit: "binary", maxLength: 80 }), (s) => {
    const t = termText(s);
    assert.ok(!UNSAFE.test(t), JSON.stringify(t));
    assert.ok(!UNSAFE.test(termLines(s).replace(/\n/g, "")));
    // Nothing is lost: printable text passes through unchanged.
    if (!UNSAFE.test(s) && !s.includes("\\")) assert.equal(t, s);
  }), { numRuns: 2000 });
});

test("property: the CLI's JSON keeps the exact value yet holds no raw C1, DEL or format character", () => {
  fc.assert(fc.property(fc.string({ unit: "binary", maxLength: 40 }), (s) => {
    const text = toJson({ name: s });
    assert.ok(!/[\p{Cc}\p{Cf}\p{Zl}\p{Zp}]/u.test(text.replace(/\n/g, "")), text);
    assert.equal((JSON.parse(text) as { name: string }).name, s);
  }), { numRuns: 2000 });
});

test("displayWidth: wide characters count 2 columns, combining marks 0", () => {
  assert.equal(displayWidth("abc"), 3);
  assert.equal(displayWidth("漢字"), 4);
  assert.equal(displayWidth("ｆｕｌｌ"), 8);
  assert.equal(displayWidth("e\u0301"), 1);
  assert.equal(displayWidth("한국어"), 6);
  assert.equal(displayWidth("🙂"), 2);
});

test("table pads by display width and escapes every cell", () => {
  const t = table(["name", "size"], [["漢字", 1], ["ab", 2], ["e\u0301x", 3], ["\x1b[2Jz", 4]]);
  assert.equal(t, [
    "  name      size",
    "  漢字      1",
    "  ab        2",
    "  e\u0301x        3",
    "  \\x1b[2Jz  4",
  ].join("\n"));
});

test("property: every table row's last column starts at the same display column", () => {
  const cell = fc.string({ unit: fc.constantFrom("a", "漢", "e\u0301", "\x1b", "\u202e", "\\", " "), maxLength: 8 });
  fc.assert(fc.property(fc.array(cell, { minLength: 1, maxLength: 6 }), (names) => {
    const lines = table(["name", "end"], names.map((n) => [n, "|"])).split("\n");
    const cols = lines.map((l) => displayWidth(l.slice(0, l.lastIndexOf(l === lines[0] ? "end" : "|"))));
    assert.ok(cols.every((c) => c === cols[0]), JSON.stringify(lines));
    for (const l of lines) assert.ok(!UNSAFE.test(l));
  }), { numRuns: 500 });
});
