// The top-level keys of a domain config, checked with zod. Values arrive as
// syntax nodes, so a check can tell `memory = "2048"` from `memory = 2G` and
// say what was meant.
import { z } from "zod";
import { parseSize } from "../../formats/index.js";
import { quote } from "./config-error.js";
import { DOMAIN_KEY_EXAMPLES, exampleLine, type DomainKey } from "./domain-keys.js";
import { bad, badValue, ok, rule, type Checked, type Problem } from "./rules.js";
import { closest } from "./suggest.js";
import { notANumber } from "./value-text.js";
import type { Value } from "./syntax.js";
import { ON_MCE, type Backend, type OnMce } from "./types.js";

// Bounds that catch slips such as `memory = 2` meant as 2G; they are not Xen's limits.
export const MEMORY_MIN_MIB = 16;
export const MEMORY_MAX_MIB = 16 * 1024 * 1024;
// HVM_MAX_VCPUS in Xen.
export const VCPUS_MAX = 128;
export const VNVDIMMS_MAX = 64;
export const NAME_MAX = 64;

const NAME = /^[A-Za-z0-9._-]+$/;

function missing(key: DomainKey): Checked<never> {
  return bad("config.missing-key", `${key} is not set`, `add a line ${DOMAIN_KEY_EXAMPLES[key]}`, true);
}

function wrongType(what: string, hint: string): Checked<never> {
  return bad("config.wrong-type", what, hint);
}

function readString(key: DomainKey, v: Value): Checked<string> {
  switch (v.kind) {
    case "string": return ok(v.text);
    case "int": return wrongType(`${key} must be a string`, `put it in quotes: ${key} = "${v.raw}"`);
    case "word": return wrongType(`${key} ${quote(v.raw)} is not in quotes`, `write ${key} = ${quote(v.raw)}`);
    case "list": return wrongType(`${key} must be a string, not a list`, `write ${exampleLine(key)}`);
  }
}

function readInteger(key: DomainKey, v: Value, example: string, unitHint: (text: string) => string | undefined): Checked<bigint> {
  switch (v.kind) {
    case "int": return ok(v.value);
    case "string": return wrongType(`${key} must be a number, not a string`, unitHint(v.text) ?? `drop the quotes, e.g. ${exampleLine(key)}`);
    case "word": {
      const why = notANumber(key, v.raw, (n) => `${key} = ${n}`, example);
      return why.digits ? badValue(why.what, why.hint) : wrongType(why.what, unitHint(v.raw) ?? why.hint);
    }
    case "list": return wrongType(`${key} must be a number, not a list`, `write ${exampleLine(key)}`);
  }
}

function checkName(v: Value | undefined): Checked<string> {
  if (v === undefined) return missing("name");
  const r = readString("name", v);
  if (!r.ok) return r;
  const name = r.value;
  const hint = `use 1 to ${NAME_MAX} letters, digits, '.', '_' or '-', e.g. ${DOMAIN_KEY_EXAMPLES.name}`;
  if (name === "") return badValue("name is empty", hint);
  if (name.length > NAME_MAX) return badValue(`name is ${name.length} characters long`, hint);
  if (!NAME.test(name)) return badValue(`name ${quote(name)} holds ${quote(/[^A-Za-z0-9._-]/.exec(name)![0])}`, hint);
  return ok(name);
}

/** `memory = 2G` is a common slip: the hint gives the MiB value meant. */
function mibHint(text: string): string | undefined {
  const bytes = text.length <= 32 ? parseSize(text) : undefined;
  if (bytes === undefined || bytes === 0n || bytes % (1n << 20n) !== 0n) return undefined;
  return `memory is in MiB without a unit: write memory = ${bytes >> 20n}`;
}

function checkMemory(v: Value | undefined): Checked<number> {
  if (v === undefined) return missing("memory");
  const r = readInteger("memory", v, "2048", mibHint);
  if (!r.ok) return r;
  if (r.value < BigInt(MEMORY_MIN_MIB)) return badValue(`memory ${r.value} MiB is less than ${MEMORY_MIN_MIB} MiB`, `use memory = ${MEMORY_MIN_MIB} or more (MiB)`);
  if (r.value > BigInt(MEMORY_MAX_MIB)) return badValue(`memory ${r.value} MiB is more than 16 TiB`, `use at most memory = ${MEMORY_MAX_MIB} (MiB)`);
  return ok(Number(r.value));
}

function checkVcpus(v: Value | undefined): Checked<number | undefined> {
  if (v === undefined) return ok(undefined);
  const r = readInteger("vcpus", v, "2", () => undefined);
  if (!r.ok) return r;
  if (r.value < 1n || r.value > BigInt(VCPUS_MAX)) return badValue(`vcpus ${r.value} is not between 1 and ${VCPUS_MAX}`, `use e.g. ${DOMAIN_KEY_EXAMPLES.vcpus}`);
  return ok(Number(r.value));
}

function checkBackend(v: Value | undefined): Checked<Backend> {
  if (v === undefined) return ok("builtin");
  const r = readString("backend", v);
  if (!r.ok) return r;
  if (r.value === "builtin" || r.value === "qemu") return ok(r.value);
  return badValue(`backend ${quote(r.value)} is not known`, 'use backend = "builtin" or backend = "qemu"');
}

function checkOnMce(v: Value | undefined): Checked<OnMce | undefined> {
  if (v === undefined) return ok(undefined);
  const r = readString("on_mce", v);
  if (!r.ok) return r;
  const known = ON_MCE.find((x) => x === r.value);
  return known ? ok(known) : badValue(`on_mce ${quote(r.value)} is not known`, 'use on_mce = "stop" or on_mce = "tell"');
}

/** The spec strings themselves are checked one by one afterwards, each with its own positions. */
function checkVnvdimmList(v: Value | undefined): Checked<Value[]> {
  if (v === undefined) return ok([]);
  if (v.kind !== "list") return wrongType("vnvdimms must be a list", "write vnvdimms = [ 'size=4G', 'size=1G' ]");
  if (v.items.length > VNVDIMMS_MAX) return badValue(`${v.items.length} vnvdimms are more than ${VNVDIMMS_MAX}`, `give a domain at most ${VNVDIMMS_MAX}`);
  return ok(v.items);
}

const node = <O>(check: (v: Value | undefined) => Checked<O>) => rule<Value, O>(check);

export const DomainSchema = z.object({
  name: node(checkName),
  memory: node(checkMemory),
  backend: node(checkBackend),
  vcpus: node(checkVcpus),
  vnvdimms: node(checkVnvdimmList),
  on_mce: node(checkOnMce),
}).strict();

export function unknownDomainKey(key: string): Problem {
  const keys = Object.keys(DOMAIN_KEY_EXAMPLES);
  const near = closest(key, keys);
  return {
    code: "config.unknown-key",
    what: `${quote(key)} is not a domain config key`,
    hint: near === undefined ? `the keys are ${keys.join(", ")}` : `did you mean ${near}?`,
  };
}
