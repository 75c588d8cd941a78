// JSON that keeps u64 values exact, both ways. ndctl prints isetcookie and
// DPAs as plain 64-bit numbers; JSON.stringify would throw on a bigint and
// JSON.parse would round a large integer through a double. The CLI, the HTTP
// server and the CLI's client of that server all speak this JSON.

export function toJson(value: unknown, indent = 2): string {
  const marks: string[] = [];
  // A fresh nonce per call, so that a string someone else chose (a guest's namespace name) cannot pass for a mark.
  const nonce = Math.random().toString(36).slice(2, 10);
  const text = JSON.stringify(value, (_k, v: unknown) => {
    if (typeof v === "bigint") {
      marks.push(v.toString());
      return `\u0000BIG${nonce}:${marks.length - 1}\u0000`;
    }
    if (v instanceof Uint8Array) return Array.from(v);
    return v;
  }, indent);
  return text.replace(new RegExp(`"\\\\u0000BIG${nonce}:(\\d+)\\\\u0000"`, "g"), (_m, i: string) => marks[Number(i)]!);
}

/**
 * JSON.parse, except that an integer too large for a double comes back as a
 * bigint instead of a rounded number. Throws SyntaxError like JSON.parse.
 */
export function parseJsonExact(text: string): unknown {
  // 2^53 has 16 digits: with no run that long, JSON.parse is already exact.
  if (!/\d{16}/.test(text)) return JSON.parse(text) as unknown;
  const nonce = Math.random().toString(36).slice(2, 10);
  const mark = `\u0000BIG${nonce}:`;
  let out = "";
  let i = 0;
  let big = false;
  while (i < text.length) {
    const c = text[i]!;
    if (c === '"') {
      // Copy the string literal whole, escapes included.
      let j = i + 1;
      while (j < text.length && text[j] !== '"') j += text[j] === "\\" ? 2 : 1;
      out += text.slice(i, j + 1);
      i = j + 1;
    } else if (c === "-" || (c >= "0" && c <= "9")) {
      const m = /^-?\d+(\.\d+)?([eE][+-]?\d+)?/.exec(text.slice(i, i + 400));
      const tok = m ? m[0] : c;
      if (m && !m[1] && !m[2] && !Number.isSafeInteger(Number(tok))) {
        // The mark's NUL must be escaped: a raw control character is not allowed inside a JSON string.
        out += `"\\u0000BIG${nonce}:${tok}"`;
        big = true;
      } else out += tok;
      i += tok.length;
    } else {
      out += c;
      i++;
    }
  }
  if (!big) return JSON.parse(text) as unknown;
  return JSON.parse(out, (_k, v: unknown) => (typeof v === "string" && v.startsWith(mark) ? BigInt(v.slice(mark.length)) : v)) as unknown;
}
