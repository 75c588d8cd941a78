// NameSeg and NameString (ACPI 6.4 §20.2.2).
import { term, type AmlTerm } from "./sink.js";

const ROOT_CHAR = 0x5c;
const PARENT_PREFIX = 0x5e;
const DUAL_NAME_PREFIX = 0x2e;
const MULTI_NAME_PREFIX = 0x2f;
const NULL_NAME = 0x00;

const SEG = /^[A-Z_][A-Z0-9_]{0,3}$/;

/** A 1-4 character name segment, padded with "_" to 4 bytes ("LEN" → "LEN_"). */
export function nameSeg(text: string): Uint8Array {
  if (!SEG.test(text)) throw new RangeError(`not an AML NameSeg: "${text}" (A-Z or _ first, then A-Z 0-9 _, at most 4)`);
  const padded = text.padEnd(4, "_");
  return Uint8Array.from(padded, (c) => c.charCodeAt(0));
}

/**
 * A name path in ASL spelling: an optional root "\" or parent "^" prefixes,
 * then dot-separated segments ("\\_SB.NVDR", "^^FOO", "NV00").
 */
export function nameString(text: string): Uint8Array {
  let i = 0;
  const prefix: number[] = [];
  if (text.startsWith("\\")) {
    prefix.push(ROOT_CHAR);
    i = 1;
  } else {
    while (text[i] === "^") {
      prefix.push(PARENT_PREFIX);
      i++;
    }
  }
  const rest = text.slice(i);
  const segs = rest === "" ? [] : rest.split(".").map(nameSeg);
  if (segs.length === 0 && prefix.length === 0) throw new RangeError("empty AML name; use NullName");
  if (segs.length > 255) throw new RangeError(`AML name has ${segs.length} segments, at most 255`);
  const head =
    segs.length === 0 ? [NULL_NAME] : segs.length === 1 ? [] : segs.length === 2 ? [DUAL_NAME_PREFIX] : [MULTI_NAME_PREFIX, segs.length];
  const out = new Uint8Array(prefix.length + head.length + 4 * segs.length);
  out.set(prefix, 0);
  out.set(head, prefix.length);
  segs.forEach((s, k) => out.set(s, prefix.length + head.length + 4 * k));
  return out;
}

/** A reference to a named object, as an operand or target. */
export function NamePath(text: string): AmlTerm {
  const bytes = nameString(text);
  return term((s) => s.bytes(bytes));
}

/** The empty target: the result is discarded (§20.2.2 NullName). */
export const NullName: AmlTerm = term((s) => s.byte(NULL_NAME));
