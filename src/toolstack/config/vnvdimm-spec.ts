// One vnvdimm spec string → a VnvdimmConfig. `type=mfn` asks for exact host
// pages; otherwise `size=` lets the toolstack choose. Each form has its own
// zod schema, so a key of the other form is reported with a hint to switch.
import { z } from "zod";
import { finding, quote, type Finding, type SourcePos } from "./config-error.js";
import { addProblem, findingsFromIssues, rule, type Checked, type Place, type Problem } from "./rules.js";
import { splitSpec, type SpecPair } from "./spec-pairs.js";
import * as R from "./spec-rules.js";
import { formatSize, GiB, MiB, roundUp } from "./value-text.js";

/** Linux's namespace granularity (ndctl and the kernel align a namespace's size to 16 MiB). */
const NAMESPACE_STEP = 16n * MiB;
import { closest } from "./suggest.js";
import { PAGE_BYTES, type MfnVnvdimm, type NamespaceRequest, type SizedVnvdimm, type VnvdimmConfig } from "./types.js";

export const MFN_KEYS = ["type", "backend", "nr_pages", "nr_label_pages", "unarmed", "id"] as const;
export const SIZE_KEYS = ["size", "node", "label_size", "namespace", "labels", "image", "sector_size", "align", "unarmed", "id"] as const;

const text = <O>(check: (t: string | undefined) => Checked<O>) => rule<string, O>(check);

const MfnSchema = z.object({
  type: text(R.checkType),
  backend: text(R.checkBackend),
  nr_pages: text(R.checkNrPages),
  nr_label_pages: text(R.checkNrLabelPages),
  unarmed: text(R.checkUnarmed),
  id: text(R.checkId),
}).strict().superRefine((s, ctx) => {
  const labelPages = s.nr_label_pages ?? R.MIN_LABEL_PAGES;
  if (labelPages >= s.nr_pages) {
    const hint = `the label area is the extent's tail: use nr_pages above ${labelPages}`;
    if (s.nr_label_pages === undefined) addProblem(ctx, "nr_pages", conflict(`nr_pages ${s.nr_pages} leaves no room for the ${labelPages} label pages`, hint));
    else addProblem(ctx, "nr_label_pages", conflict(`nr_label_pages ${labelPages} is not less than nr_pages ${s.nr_pages}`, `${hint}, or fewer label pages`));
  }
  if (s.backend + s.nr_pages > R.MFN_LIMIT) {
    addProblem(ctx, "nr_pages", conflict(`the extent ends past the largest MFN`, "use a lower backend= or fewer nr_pages"));
  }
}).transform((s): MfnVnvdimm => ({
  type: "mfn",
  ...(s.id === undefined ? {} : { id: s.id }),
  backendMfn: s.backend,
  nrPages: s.nr_pages,
  nrLabelPages: s.nr_label_pages ?? R.MIN_LABEL_PAGES,
  unarmed: s.unarmed,
}));

const SizeSchema = z.object({
  size: text(R.checkSize),
  node: text(R.checkNode),
  label_size: text(R.checkLabelSize),
  namespace: text(R.checkNamespace),
  labels: text(R.checkLabels),
  image: text(R.checkImage),
  sector_size: text(R.checkSectorSize),
  align: text(R.checkAlign),
  unarmed: text(R.checkUnarmed),
  id: text(R.checkId),
}).strict().superRefine((s, ctx) => {
  const mode = s.namespace?.mode;
  const needs = (key: "labels" | "image" | "sector_size" | "align", modes: readonly string[], example: string) => {
    if (s[key] === undefined || (mode !== undefined && modes.includes(mode))) return;
    const what = mode === undefined ? `${key}= needs a namespace` : `${key}= does not apply to namespace=${mode}`;
    addProblem(ctx, key, conflict(what, `add ${example}, or drop ${key}=`));
  };
  needs("labels", ["fsdax", "devdax", "sector", "raw"], "namespace=fsdax");
  needs("image", ["fsdax"], "namespace=fsdax");
  needs("sector_size", ["sector"], "namespace=sector");
  needs("align", ["fsdax", "devdax"], "namespace=fsdax or namespace=devdax");
  // Linux (and ndctl) size a namespace in 16 MiB steps: say so instead of handing the guest less than was asked for.
  if (mode !== undefined && s.size % NAMESPACE_STEP !== 0n) {
    const down = s.size - (s.size % NAMESPACE_STEP);
    const got = down > 0n ? `the guest would see ${formatSize(down)}` : "the guest would see no namespace";
    addProblem(ctx, "size", conflict(`a namespace comes in 16M steps, so size=${formatSize(s.size)} is not one: ${got}`, `use size=${formatSize(roundUp(s.size, NAMESPACE_STEP))}${down > 0n ? ` or size=${formatSize(down)}` : ""}`));
  }
  if (s.align === GiB && s.size % GiB !== 0n) {
    addProblem(ctx, "align", conflict("align=1G needs a size that is a multiple of 1G", `use size=${formatSize(roundUp(s.size, GiB))} or align=2M`));
  }
}).transform((s): SizedVnvdimm => {
  const labelPages = s.label_size / PAGE_BYTES;
  return {
    type: "size",
    ...(s.id === undefined ? {} : { id: s.id }),
    sizeBytes: s.size,
    labelSizeBytes: s.label_size,
    nrPages: s.size / PAGE_BYTES + labelPages,
    nrLabelPages: labelPages,
    ...(s.node === undefined ? {} : { node: s.node }),
    ...(s.namespace === undefined ? {} : { namespace: namespaceRequest(s.namespace, s) }),
    unarmed: s.unarmed,
  };
});

function namespaceRequest(ns: R.NamespaceText, s: { labels?: NamespaceRequest["labels"]; image?: string; sector_size?: 512 | 4096; align?: bigint }): NamespaceRequest {
  const base = { ...(ns.name === undefined ? {} : { name: ns.name }), labels: s.labels ?? R.DEFAULT_LABELS };
  const alignBytes = s.align ?? R.DEFAULT_ALIGN_BYTES;
  switch (ns.mode) {
    case "fsdax": return { mode: "fsdax", ...base, alignBytes, ...(s.image === undefined ? {} : { image: s.image }) };
    case "devdax": return { mode: "devdax", ...base, alignBytes };
    case "sector": return { mode: "sector", ...base, sectorSize: s.sector_size ?? R.DEFAULT_SECTOR_SIZE };
    case "raw": return { mode: "raw", ...base };
  }
}

function conflict(what: string, hint: string): Problem {
  return { code: "config.conflict", what, hint, atKey: true };
}

function unknownKeyProblem(key: string, form: "mfn" | "size"): Problem {
  const mine: readonly string[] = form === "mfn" ? MFN_KEYS : SIZE_KEYS;
  const other: readonly string[] = form === "mfn" ? SIZE_KEYS : MFN_KEYS;
  const what = `${quote(key)} is not a key of a ${form === "mfn" ? "type=mfn" : "size="} vnvdimm`;
  if (other.includes(key)) {
    return { code: "config.unknown-key", what, hint: form === "mfn" ? `${key}= is for size= vnvdimms; drop type=mfn to use it` : `${key}= needs type=mfn` };
  }
  const near = closest(key, mine);
  return { code: "config.unknown-key", what, hint: near === undefined ? `use ${mine.join(", ")}` : `did you mean ${near}?` };
}

/** A spec string and where its characters are in the source. */
export interface SpecSource {
  text: string;
  /** Where the string starts (its opening quote in a config file). */
  at: SourcePos;
  /** The source column of each character of `text`. */
  charColumns: readonly number[];
  /** The key of the spec itself, e.g. `vnvdimms[1]`. */
  key: string;
}

export interface SpecCheck {
  config?: VnvdimmConfig;
  findings: Finding[];
  /** Where each key of the spec is written. */
  places: ReadonlyMap<string, Place>;
}

export function checkVnvdimmSpec(src: SpecSource): SpecCheck {
  const posOf = (index: number): SourcePos => {
    const c = src.charColumns[index] ?? (src.charColumns.length > 0 ? src.charColumns[src.charColumns.length - 1]! + 1 : src.at.column + 1);
    return { line: src.at.line, column: c };
  };
  const { pairs, problems } = splitSpec(src.text);
  const findings = problems.map((p) =>
    finding(p.duplicate ? "config.duplicate-key" : "config.syntax", posOf(p.index), p.key === "" ? src.key : `${src.key}.${p.key}`, p.what, p.hint));

  const places = new Map<string, Place>();
  const input: Record<string, string> = Object.create(null) as Record<string, string>;
  for (const p of pairs.values()) {
    places.set(p.key, { keyAt: posOf(p.keyIndex), valueAt: posOf(p.valueIndex) });
    input[p.key] = p.value;
  }
  const form = chooseForm(pairs);
  if (form.problem) {
    // `=4G` already has its error; "size is not set" would only repeat it.
    if (findings.length === 0) findings.push(finding(form.problem.code, form.at === undefined ? src.at : posOf(form.at), `${src.key}.${form.key}`, form.problem.what, form.problem.hint));
    return { findings, places };
  }
  const schema = form.form === "mfn" ? MfnSchema : SizeSchema;
  const r = schema.safeParse(input);
  if (!r.success) {
    findings.push(...findingsFromIssues(r.error.issues, { keyPrefix: `${src.key}.`, places, fallback: src.at, unknownKey: (k) => unknownKeyProblem(k, form.form) }));
    return { findings, places };
  }
  return findings.length === 0 ? { config: r.data, findings, places } : { findings, places };
}

type FormChoice =
  | { form: "mfn" | "size"; problem?: undefined }
  | { problem: Problem; key: string; at?: number };

function chooseForm(pairs: ReadonlyMap<string, SpecPair>): FormChoice {
  const type = pairs.get("type");
  if (type !== undefined) {
    const r = R.checkType(type.value);
    return r.ok ? { form: "mfn" } : { problem: r.problem, key: "type", at: type.valueIndex };
  }
  if (pairs.has("size")) return { form: "size" };
  if (pairs.has("backend") || pairs.has("nr_pages")) {
    return { problem: { code: "config.missing-key", what: "type=mfn is missing", hint: "add type=mfn to use backend= and nr_pages=, or give size= instead" }, key: "type" };
  }
  return { problem: { code: "config.missing-key", what: "size is not set", hint: "add a size, e.g. size=4G, or use type=mfn with backend= and nr_pages=" }, key: "size" };
}
