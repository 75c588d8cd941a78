// The CLI prints the same exact-u64 JSON as the HTTP API (src/api/json.ts).
import { toJson as apiJson } from "../api/json.js";

/**
 * The API's JSON, except that DEL, C1 and format characters (a bidi
 * override in a label name) are written as \u escapes: the parsed value is
 * the same, but a terminal shown --json sees no control character.
 * (JSON.stringify already escapes C0 and lone surrogates.)
 */
export function toJson(value: unknown, indent = 2): string {
  return apiJson(value, indent).replace(/[\u007f-\u009f\p{Cf}\p{Zl}\p{Zp}]/gu, (c) =>
    Array.from({ length: c.length }, (_, i) => `\\u${c.charCodeAt(i).toString(16).padStart(4, "0")}`).join(""));
}
