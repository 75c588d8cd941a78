// Splits a vnvdimm spec string, `k=v, k=v, …`, into pairs with the index of
// each key and value in the string. Empty items (as from a trailing comma)
// are skipped; the value is everything after the first `=`, trimmed. Commas
// always separate, so no value can hold one.
import { quote } from "./config-error.js";

export interface SpecPair {
  key: string;
  value: string;
  keyIndex: number;
  valueIndex: number;
}

export interface SpecSplitProblem {
  index: number;
  key: string;
  what: string;
  hint: string;
  duplicate: boolean;
}

export interface SpecSplit {
  pairs: Map<string, SpecPair>;
  problems: SpecSplitProblem[];
}

export function splitSpec(text: string): SpecSplit {
  const pairs = new Map<string, SpecPair>();
  const problems: SpecSplitProblem[] = [];
  let start = 0;
  while (start <= text.length) {
    const comma = text.indexOf(",", start);
    const end = comma < 0 ? text.length : comma;
    const item = text.slice(start, end);
    const lead = item.length - item.trimStart().length;
    const trimmed = item.trim();
    const at = start + lead;
    if (trimmed !== "") {
      const eq = trimmed.indexOf("=");
      const key = (eq < 0 ? trimmed : trimmed.slice(0, eq)).trim();
      if (key === "") {
        problems.push({ index: at, key, what: `${quote(trimmed)} has no key`, hint: "write key=value, e.g. size=4G", duplicate: false });
      } else {
        // A bare key (`unarmed`) reads as an empty value, which its check then explains.
        const rest = eq < 0 ? "" : trimmed.slice(eq + 1);
        const value = rest.trim();
        const valueIndex = eq < 0 ? at + key.length : at + eq + 1 + (rest.length - rest.trimStart().length);
        const first = pairs.get(key);
        if (first) {
          problems.push({ index: at, key, what: `${quote(key)} is given twice`, hint: `keep one ${key}=`, duplicate: true });
        } else {
          pairs.set(key, { key, value, keyIndex: at, valueIndex });
        }
      }
    }
    start = end + 1;
  }
  return { pairs, problems };
}
