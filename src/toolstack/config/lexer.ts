// Tokens of xl's config language subset. The lexer never fails: a malformed
// string becomes a string token carrying a problem, which the parser reports
// with the key it belongs to.
import { quote, type SourcePos } from "./config-error.js";

export type Punct = "=" | "[" | "]" | "," | ";";

export interface LexProblem {
  what: string;
  hint: string;
}

interface TokenBase {
  at: SourcePos;
  /** The token's source text. */
  raw: string;
}

export type Token =
  | (TokenBase & { kind: "string"; value: string; /** Source column of each character of `value`. */ charColumns: number[]; problem?: LexProblem })
  | (TokenBase & { kind: "int"; value: bigint })
  /** A key name: letters, digits and `_`, not starting with a digit. */
  | (TokenBase & { kind: "ident" })
  /** Any other unquoted text, such as `2G` or `vm-1`; only an error message can use it. */
  | (TokenBase & { kind: "word" })
  | (TokenBase & { kind: Punct | "newline" | "eof" });

const PUNCT = new Set<string>(["=", "[", "]", ",", ";"]);
const SPACE = new Set<string>([" ", "\t", "\r", "\v", "\f"]);
const ESCAPES: Record<string, string> = { "\\": "\\", "'": "'", '"': '"', n: "\n", t: "\t" };
const IDENT = /^[A-Za-z_][A-Za-z0-9_]*$/;
// Leading zeros are refused: xl reads them as octal, which surprises.
const INT = /^(?:0|[1-9][0-9]{0,19}|0[xX][0-9a-fA-F]{1,16})$/;

function endsWord(c: string): boolean {
  return SPACE.has(c) || PUNCT.has(c) || c === "\n" || c === "#" || c === "'" || c === '"';
}

export function tokenize(text: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  let line = 1;
  let lineStart = 0;
  const here = (): SourcePos => ({ line, column: i - lineStart + 1 });

  while (i < text.length) {
    const c = text[i]!;
    if (SPACE.has(c)) {
      i++;
    } else if (c === "#") {
      while (i < text.length && text[i] !== "\n") i++;
    } else if (c === "\n") {
      tokens.push({ kind: "newline", at: here(), raw: c });
      i++;
      line++;
      lineStart = i;
    } else if (PUNCT.has(c)) {
      tokens.push({ kind: c as Punct, at: here(), raw: c });
      i++;
    } else if (c === "'" || c === '"') {
      const at = here();
      const start = i;
      const s = lexString(text, i, c, lineStart);
      i = s.end;
      tokens.push({ kind: "string", at, raw: text.slice(start, i), value: s.value, charColumns: s.charColumns, ...(s.problem ? { problem: s.problem } : {}) });
    } else {
      const at = here();
      const start = i;
      while (i < text.length && !endsWord(text[i]!)) i++;
      const raw = text.slice(start, i);
      if (IDENT.test(raw)) tokens.push({ kind: "ident", at, raw });
      else if (INT.test(raw)) tokens.push({ kind: "int", at, raw, value: BigInt(raw.toLowerCase()) });
      else tokens.push({ kind: "word", at, raw });
    }
  }
  tokens.push({ kind: "eof", at: here(), raw: "" });
  return tokens;
}

interface LexedString {
  value: string;
  charColumns: number[];
  end: number;
  problem?: LexProblem;
}

/** Reads a quoted string starting at `start`; it may not span lines. */
function lexString(text: string, start: number, q: string, lineStart: number): LexedString {
  let value = "";
  const charColumns: number[] = [];
  let problem: LexProblem | undefined;
  let i = start + 1;
  const col = (at: number) => at - lineStart + 1;
  for (;;) {
    const c = text[i];
    if (c === undefined || c === "\n") {
      return { value, charColumns, end: i, problem: problem ?? { what: "the string is not closed", hint: `add a closing ${q} on the same line` } };
    }
    if (c === q) return { value, charColumns, end: i + 1, ...(problem ? { problem } : {}) };
    if (c === "\\") {
      const e = text[i + 1];
      if (e === undefined || e === "\n") {
        i++;
        continue;
      }
      const decoded = ESCAPES[e];
      if (decoded === undefined) {
        problem ??= { what: `the escape ${/^[\x21-\x7e]$/.test(e) ? `\\${e}` : quote(`\\${e}`)} is not known`, hint: "use \\\\ for a backslash; the escapes are \\\\, \\', \\\", \\n and \\t" };
        value += "\\" + e;
        charColumns.push(col(i), col(i + 1));
      } else {
        value += decoded;
        charColumns.push(col(i));
      }
      i += 2;
      continue;
    }
    value += c;
    charColumns.push(col(i));
    i++;
  }
}
