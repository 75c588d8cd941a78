// Reads a domain config: syntax, then the top-level keys, then each vnvdimm
// spec, then the checks across vnvdimms. Every error is collected; none is
// thrown until the end, and then only as a ConfigError.
import { ConfigError, finding, quote, toConfigErrors, type Finding } from "./config-error.js";
import { DomainSchema, unknownDomainKey, VNVDIMMS_MAX } from "./domain-schema.js";
import { findingsFromIssues, type Place } from "./rules.js";
import { parseSyntax, type Entry, type Value } from "./syntax.js";
import type { DomainConfig, VnvdimmConfig } from "./types.js";
import { checkVnvdimmSpec, type SpecSource } from "./vnvdimm-spec.js";

/** A config is a few KiB; refusing far larger text keeps parse time bounded. */
export const CONFIG_MAX_CHARS = 256 * 1024;

export type ConfigResult = { ok: true; config: DomainConfig } | { ok: false; errors: ConfigError[] };

/** Checks a config and returns it, or every error in reading order. */
export function checkDomainConfig(text: string, file = "<config>"): ConfigResult {
  const findings = findDomainConfig(text);
  if (findings.config !== undefined) return { ok: true, config: findings.config };
  return { ok: false, errors: toConfigErrors(findings.errors, file) };
}

/** Parses a config or throws the first error, which carries all of them in `all`. */
export function parseDomainConfig(text: string, file = "<config>"): DomainConfig {
  const r = checkDomainConfig(text, file);
  if (r.ok) return r.config;
  const [first, ...rest] = r.errors;
  throw first!.withOthers(rest);
}

/** Parses one spec string, as `vnvdimm attach` takes it. Columns count from its first character. */
export function parseVnvdimmSpec(spec: string, source = "<spec>"): VnvdimmConfig {
  if (spec.length > CONFIG_MAX_CHARS) throw new ConfigError({ ...tooLong(), file: source });
  const r = checkVnvdimmSpec({ text: spec, at: { line: 1, column: 1 }, charColumns: Array.from({ length: spec.length }, (_, i) => i + 1), key: "vnvdimm" });
  if (r.config !== undefined) return r.config;
  const [first, ...rest] = toConfigErrors(r.findings, source);
  throw first!.withOthers(rest);
}

function tooLong(): Finding {
  return finding("config.syntax", { line: 1, column: 1 }, "", `the text is longer than ${CONFIG_MAX_CHARS} characters`, "check that this is a domain config");
}

interface Found {
  config?: DomainConfig;
  errors: Finding[];
}

function findDomainConfig(text: string): Found {
  if (text.length > CONFIG_MAX_CHARS) {
    return { errors: [tooLong()] };
  }
  const syntax = parseSyntax(text);
  const errors = [...syntax.findings];
  const { input, places, damaged } = collectEntries(syntax.entries, errors);

  const top = DomainSchema.safeParse(input);
  if (!top.success) {
    const found = findingsFromIssues(top.error.issues, { keyPrefix: "", places, fallback: syntax.end, unknownKey: unknownDomainKey });
    errors.push(...found.filter((f) => !(f.code === "config.missing-key" && damaged.has(f.key))));
  }
  const items = top.success ? top.data.vnvdimms : listItems(input.vnvdimms);
  const vnvdimms = checkVnvdimms(items, errors);
  if (!top.success || errors.length > 0) return { errors };
  const { name, memory, backend, vcpus, on_mce } = top.data;
  return { config: { name, memoryMiB: memory, backend, ...(vcpus === undefined ? {} : { vcpus }), ...(on_mce === undefined ? {} : { onMce: on_mce }), vnvdimms }, errors };
}

/** The first statement of each key; later ones are duplicates. Keys whose statement was malformed are `damaged`. */
function collectEntries(entries: readonly Entry[], errors: Finding[]) {
  const input: Record<string, Value> = Object.create(null) as Record<string, Value>;
  const places = new Map<string, Place>();
  const damaged = new Set<string>();
  const firstLine = new Map<string, number>();
  for (const e of entries) {
    const seen = firstLine.get(e.key);
    // A malformed repeat already has its syntax error.
    if (seen !== undefined && e.value === undefined) continue;
    if (seen !== undefined) {
      errors.push(finding("config.duplicate-key", e.keyAt, e.key, `${e.key} is set twice (first on line ${seen})`, "keep one of the two lines"));
      continue;
    }
    firstLine.set(e.key, e.keyAt.line);
    if (e.value === undefined) {
      damaged.add(e.key);
      continue;
    }
    input[e.key] = e.value;
    places.set(e.key, { keyAt: e.keyAt, valueAt: e.value.at });
  }
  return { input, places, damaged };
}

/** When other keys are wrong, the specs are still checked so that one run shows every error (unless there are too many). */
function listItems(v: Value | undefined): Value[] {
  return v !== undefined && v.kind === "list" && v.items.length <= VNVDIMMS_MAX ? v.items : [];
}

function checkVnvdimms(items: readonly Value[], errors: Finding[]): VnvdimmConfig[] {
  const out: VnvdimmConfig[] = [];
  const ids = new Map<string, number>();
  const mfnRanges: { index: number; start: bigint; end: bigint }[] = [];
  items.forEach((item, index) => {
    const key = `vnvdimms[${index}]`;
    if (item.kind !== "string") {
      errors.push(finding("config.wrong-type", item.at, key, "the item is not a string", "quote each spec, e.g. 'size=4G, node=1'"));
      return;
    }
    const src: SpecSource = { text: item.text, at: item.at, charColumns: item.charColumns, key };
    const r = checkVnvdimmSpec(src);
    errors.push(...r.findings);
    const v = r.config;
    if (v === undefined) return;
    out.push(v);
    if (v.id !== undefined) {
      const other = ids.get(v.id);
      if (other !== undefined) errors.push(specConflict(src, r.places, "id", `id ${quote(v.id)} is already used by vnvdimms[${other}]`, "give each vnvdimm its own id"));
      else ids.set(v.id, index);
    }
    if (v.type === "mfn") {
      const start = v.backendMfn;
      const end = v.backendMfn + v.nrPages;
      const clash = mfnRanges.find((m) => start < m.end && m.start < end);
      if (clash !== undefined) errors.push(specConflict(src, r.places, "backend", `the MFN range overlaps vnvdimms[${clash.index}]`, "give each vnvdimm its own pages"));
      mfnRanges.push({ index, start, end });
    }
  });
  return out;
}

/** A problem across specs, placed at `key=` in this spec's string. */
function specConflict(src: SpecSource, places: ReadonlyMap<string, Place>, key: string, problem: string, hint: string): Finding {
  return finding("config.conflict", places.get(key)?.keyAt ?? src.at, `${src.key}.${key}`, problem, hint);
}
