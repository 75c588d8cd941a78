// The statements of a config: `key = value` separated by newlines or `;`,
// where a value is a string, an integer or a list of them. Each statement
// reports at most its first syntax error and is then skipped, so one typo
// gives one message.
import { finding, quote, type Finding, type SourcePos } from "./config-error.js";
import { exampleLine } from "./domain-keys.js";
import { tokenize, type Token } from "./lexer.js";

export type Value =
  | { kind: "string"; text: string; at: SourcePos; /** Source column of each character of `text`. */ charColumns: number[] }
  | { kind: "int"; value: bigint; raw: string; at: SourcePos }
  /** Unquoted text that is not a number; the semantic checks explain what was meant. */
  | { kind: "word"; raw: string; at: SourcePos }
  | { kind: "list"; items: Value[]; at: SourcePos };

export interface Entry {
  key: string;
  keyAt: SourcePos;
  /** Absent when the statement had a syntax error (already reported). */
  value?: Value;
}

export interface ConfigSyntax {
  entries: Entry[];
  findings: Finding[];
  /** Where the text ends: the place for "add this key" errors. */
  end: SourcePos;
}

class SyntaxFailure {
  constructor(readonly finding: Finding) {}
}

export function parseSyntax(text: string): ConfigSyntax {
  const tokens = tokenize(text);
  const last = tokens.length - 1;
  let i = 0;
  const peek = (ahead = 0): Token => tokens[Math.min(i + ahead, last)]!;
  const next = (): Token => tokens[Math.min(i++, last)]!;
  const startsLine = (k: number) => k === 0 || tokens[k - 1]!.kind === "newline";
  /**
   * A line such as `name = "vm1"` or `vnvdimms = [`: a new statement, even
   * inside an unclosed list. Unquoted specs (`size=4G, …`) do not look like one.
   */
  const atStatement = (): boolean => {
    if (peek().kind !== "ident" || !startsLine(i) || peek(1).kind !== "=") return false;
    const value = peek(2).kind;
    const after = peek(3).kind;
    return value === "[" || ((value === "string" || value === "int") && (after === "newline" || after === ";" || after === "eof"));
  };
  function fail(at: SourcePos, key: string, problem: string, hint: string): never {
    throw new SyntaxFailure(finding("config.syntax", at, key, problem, hint));
  }

  /** `key` names the value in errors; `exampleKey` picks the example line of the hint. */
  function atom(t: Token, key: string, exampleKey = key): Value {
    switch (t.kind) {
      case "string":
        if (t.problem) fail(t.at, key, t.problem.what, t.problem.hint);
        return { kind: "string", text: t.value, at: t.at, charColumns: t.charColumns };
      case "int":
        return { kind: "int", value: t.value, raw: t.raw, at: t.at };
      case "ident":
      case "word":
        return { kind: "word", raw: t.raw, at: t.at };
      case "newline":
      case ";":
      case "eof":
        return fail(t.at, key, `${key} has no value`, `write ${exampleLine(exampleKey)}`);
      default:
        return fail(t.at, key, `${quote(t.raw)} is not a value`, `write ${exampleLine(exampleKey)}`);
    }
  }

  /** On a syntax error inside the list, skips past its `]` so its other lines are not taken for statements. */
  function list(open: Token, key: string): Value {
    try {
      return listItems(open, key);
    } catch (e) {
      while (peek().kind !== "eof" && !atStatement() && next().kind !== "]");
      throw e;
    }
  }

  function listItems(open: Token, key: string): Value {
    const items: Value[] = [];
    const unclosed = (): never =>
      fail(open.at, key, "the list is not closed", `add ] after its last item${peek().kind === "eof" ? "" : `, before line ${peek().at.line}`}`);
    for (;;) {
      while (peek().kind === "newline") next();
      if (peek().kind === "]") {
        next();
        return { kind: "list", items, at: open.at };
      }
      if (peek().kind === "eof" || atStatement()) unclosed();
      const t = next();
      const item = `${key}[${items.length}]`;
      if (t.kind === "[") fail(t.at, item, "a list cannot hold a list", `write ${exampleLine(key)}`);
      if ((t.kind === "ident" || t.kind === "word") && peek().kind === "=") {
        fail(t.at, item, "the item is not quoted", "put each item in quotes, e.g. [ 'size=4G, node=1' ]");
      }
      items.push(atom(t, item, key));
      while (peek().kind === "newline") next();
      const after = peek();
      if (after.kind === ",") next();
      else if (after.kind === "]") continue;
      else if (after.kind === "eof" || atStatement()) unclosed();
      else if (after.kind === "string" || after.kind === "int") fail(after.at, `${key}[${items.length}]`, "a comma is missing before this item", "separate the items with commas");
      else fail(after.at, item, `${quote(after.raw)} cannot follow an item`, "separate the items with commas and close the list with ]");
    }
  }

  function statement(): Entry {
    const first = next();
    if (first.kind !== "ident") {
      const what = first.kind === "string" ? "a line cannot start with a string" : `${quote(first.raw)} is not a key`;
      return fail(first.at, "", what, 'start each line with a key, e.g. name = "vm1"');
    }
    const key = first.raw;
    const entry: Entry = { key, keyAt: first.at };
    try {
      const eq = next();
      if (eq.kind !== "=") fail(eq.at, key, `${key} has no "="`, `write ${exampleLine(key)}`);
      const open = next();
      const value = open.kind === "[" ? list(open, key) : atom(open, key);
      const end = peek();
      if (end.kind !== "newline" && end.kind !== ";" && end.kind !== "eof") {
        fail(end.at, key, `${quote(end.raw)} follows the value`, `put one key = value on each line, e.g. ${exampleLine(key)}`);
      }
      entry.value = value;
    } catch (e) {
      if (!(e instanceof SyntaxFailure)) throw e;
      findings.push(e.finding);
      recover();
    }
    return entry;
  }

  /** Skips to where the next statement can start. */
  function recover(): void {
    while (peek().kind !== "eof") {
      if (peek().kind === "ident" && startsLine(i)) return;
      if (next().kind === ";") return;
    }
  }

  const entries: Entry[] = [];
  const findings: Finding[] = [];
  for (;;) {
    while (peek().kind === "newline" || peek().kind === ";") next();
    if (peek().kind === "eof") break;
    const before = i;
    try {
      entries.push(statement());
    } catch (e) {
      if (!(e instanceof SyntaxFailure)) throw e;
      findings.push(e.finding);
      recover();
    }
    if (i === before) next();
  }
  return { entries, findings, end: tokens[last]!.at };
}
