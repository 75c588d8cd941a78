// fast-check generators for domain configs: valid DomainConfig values (for the
// round trip) and hostile text (for totality).
import fc from "fast-check";
import { formatConfig, PAGE_BYTES, type DomainConfig, type LabelVersion, type NamespaceRequest, type VnvdimmConfig } from "../../src/toolstack/config/index.js";

const MiB = 1n << 20n;
const GiB = 1n << 30n;

const PRINTABLE_NO_COMMA = Array.from({ length: 0x7f - 0x20 }, (_, i) => String.fromCharCode(0x20 + i)).filter((c) => c !== ",");
const PATH_CHARS = [..."abcXYZ019/._-", " ", "'", '"', "\\", "#", "=", ":", "é", "日"];

const labels = fc.constantFrom<LabelVersion>("v1.1", "v1.2");
const nsName = fc.string({ unit: fc.constantFrom(...PRINTABLE_NO_COMMA), minLength: 1, maxLength: 63 }).filter((s) => s.trim() === s);
const image = fc.string({ unit: fc.constantFrom(...PATH_CHARS), minLength: 1, maxLength: 40 }).filter((s) => s.trim() === s);
const align = fc.constantFrom(2n * MiB, GiB);

// fc.record leaves optional keys out, as the parser does, but builds null-prototype objects; the spread gives plain ones.
const namespace: fc.Arbitrary<NamespaceRequest> = fc.oneof(
  fc.record({ mode: fc.constant("fsdax" as const), name: nsName, labels, alignBytes: align, image }, { requiredKeys: ["mode", "labels", "alignBytes"] }),
  fc.record({ mode: fc.constant("devdax" as const), name: nsName, labels, alignBytes: align }, { requiredKeys: ["mode", "labels", "alignBytes"] }),
  fc.record({ mode: fc.constant("sector" as const), name: nsName, labels, sectorSize: fc.constantFrom<512 | 4096>(512, 4096) }, { requiredKeys: ["mode", "labels", "sectorSize"] }),
  fc.record({ mode: fc.constant("raw" as const), name: nsName, labels }, { requiredKeys: ["mode", "labels"] }),
).map((ns): NamespaceRequest => ({ ...ns }));

const sized: fc.Arbitrary<VnvdimmConfig> = fc.option(namespace, { nil: undefined }).chain((ns) => {
  const gigAligned = ns !== undefined && "alignBytes" in ns && ns.alignBytes === GiB;
  // A namespace comes in 16 MiB steps; a vNVDIMM without one in 2 MiB steps.
  const sizeBytes = gigAligned ? fc.bigInt(1n, 64n * 1024n).map((k) => k * GiB)
    : ns !== undefined ? fc.bigInt(1n, 1n << 22n).map((k) => k * 16n * MiB) : fc.bigInt(8n, 1n << 25n).map((k) => k * 2n * MiB);
  return fc.record({
    sizeBytes,
    labelPages: fc.bigInt(32n, (1n << 19n) - 1n),
    node: fc.option(fc.integer({ min: 0, max: 4095 }), { nil: undefined }),
    unarmed: fc.boolean(),
  }).map((r): VnvdimmConfig => ({
    type: "size",
    sizeBytes: r.sizeBytes,
    labelSizeBytes: r.labelPages * PAGE_BYTES,
    nrPages: r.sizeBytes / PAGE_BYTES + r.labelPages,
    nrLabelPages: r.labelPages,
    ...(r.node === undefined ? {} : { node: r.node }),
    ...(ns === undefined ? {} : { namespace: ns }),
    unarmed: r.unarmed,
  }));
});

/** `backendMfn` is an offset here; `domainConfig` moves each extent into its own 2^36-page slot so none overlap. */
const mfn: fc.Arbitrary<VnvdimmConfig> = fc.record({
  offset: fc.bigInt(0n, 1n << 34n),
  labelPages: fc.bigInt(32n, (1n << 19n) - 1n),
  dataPages: fc.bigInt(1n, 1n << 33n),
  unarmed: fc.boolean(),
}).map((r): VnvdimmConfig => ({ type: "mfn", backendMfn: r.offset, nrPages: r.labelPages + r.dataPages, nrLabelPages: r.labelPages, unarmed: r.unarmed }));

const idPrefix = fc.option(fc.stringMatching(/^[A-Za-z][A-Za-z0-9._-]{0,20}$/), { nil: undefined });

export const domainConfig: fc.Arbitrary<DomainConfig> = fc.record({
  name: fc.stringMatching(/^[A-Za-z0-9._-]{1,64}$/),
  memoryMiB: fc.integer({ min: 16, max: 16 * 1024 * 1024 }),
  backend: fc.constantFrom("builtin" as const, "qemu" as const),
  vcpus: fc.integer({ min: 1, max: 128 }),
  onMce: fc.constantFrom("stop" as const, "tell" as const),
  vnvdimms: fc.array(fc.tuple(fc.oneof(sized, mfn), idPrefix), { maxLength: 6 }).map((list) =>
    list.map(([v, prefix], i): VnvdimmConfig => {
      // The index after the last "." keeps ids unique whatever the prefixes are.
      const id = prefix === undefined ? {} : { id: `${prefix}.${i}` };
      return v.type === "mfn" ? { ...v, ...id, backendMfn: (BigInt(i) << 36n) + v.backendMfn } : { ...v, ...id };
    })),
}, { requiredKeys: ["name", "memoryMiB", "backend", "vnvdimms"] }).map((cfg): DomainConfig => ({ ...cfg }));

const FRAGMENTS = [
  "name", "memory", "backend", "vcpus", "vnvdimms", "__proto__", "=", "[", "]", ",", ";", "'", '"', "\\", "\n", "\r\n", "#", " ", "\t",
  "0x", "0", "12", "2048", "99999999999999999999999", "4G", "-1", '"vm1"', '"qemu"', "'size=4G'", "'", "size=", "4Q", "type=mfn", "backend=0x480000",
  "nr_pages=", "nr_label_pages=32", "namespace=fsdax:", "labels=v1.1", "image=", "align=1G", "sector_size=512", "unarmed=1", "id=a", "node=",
  "label_size=128K", ", ", "\\'", "é", "\u2028", "\0",
];

/** Text made of the language's own pieces, so most of it reaches the semantic checks. */
export const tokenSoup = fc.array(fc.constantFrom(...FRAGMENTS), { maxLength: 60 }).map((parts) => parts.join(""));

/** A valid config's text with a few pieces inserted, deleted or replaced. */
export const mutatedConfig = fc.tuple(
  domainConfig,
  fc.array(fc.tuple(fc.nat(), fc.constantFrom("insert", "delete", "replace"), fc.constantFrom(...FRAGMENTS)), { minLength: 1, maxLength: 4 }),
).map(([cfg, edits]) => edits.reduce((text, [at, op, piece]) => {
  const i = at % (text.length + 1);
  if (op === "insert") return text.slice(0, i) + piece + text.slice(i);
  if (op === "delete") return text.slice(0, i) + text.slice(i + piece.length);
  return text.slice(0, i) + piece + text.slice(i + piece.length);
}, formatConfig(cfg)));
