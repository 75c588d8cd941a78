import { test } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import {
  checkDomainConfig, ConfigError, formatConfig, parseDomainConfig, parseVnvdimmSpec, tokenize, type ConfigErrorCode, type DomainConfig,
} from "../../src/toolstack/config/index.js";
import { domainConfig, mutatedConfig, tokenSoup } from "./config-arbitraries.js";

const MiB = 1n << 20n;
const GiB = 1n << 30n;

const EXAMPLE = `name = "vm1"
memory = 2048
backend = "builtin"        # or "qemu"
vnvdimms = [ 'type=mfn, backend=0x480000, nr_pages=262144, nr_label_pages=32',
             'size=4G, node=1, label_size=128K, namespace=fsdax:data, labels=v1.2',
             'size=1G, unarmed=1' ]
`;

test("the issue's example parses to resolved sizes and pages", () => {
  const expected: DomainConfig = {
    name: "vm1",
    memoryMiB: 2048,
    backend: "builtin",
    vnvdimms: [
      { type: "mfn", backendMfn: 0x480000n, nrPages: 262144n, nrLabelPages: 32n, unarmed: false },
      {
        type: "size", sizeBytes: 4n * GiB, labelSizeBytes: 128n * 1024n, nrPages: 4n * GiB / 4096n + 32n, nrLabelPages: 32n, node: 1,
        namespace: { mode: "fsdax", name: "data", labels: "v1.2", alignBytes: 2n * MiB }, unarmed: false,
      },
      { type: "size", sizeBytes: GiB, labelSizeBytes: 128n * 1024n, nrPages: GiB / 4096n + 32n, nrLabelPages: 32n, unarmed: true },
    ],
  };
  assert.deepEqual(parseDomainConfig(EXAMPLE, "vm1.cfg"), expected);
});

test("defaults: backend builtin, no vnvdimms, and per-mode namespace defaults", () => {
  assert.deepEqual(parseDomainConfig('name = "a"\nmemory = 64\n'), { name: "a", memoryMiB: 64, backend: "builtin", vnvdimms: [] });
  const cfg = parseDomainConfig(`name="a"; memory=0x40; vcpus=4; backend="qemu"
vnvdimms = [
  'size=16M, namespace=sector',
  'size=2G, namespace=devdax:x, align=1G, labels=v1.1, id=big',
  'size=16M, namespace=raw:r',   # trailing comma, comment
]`);
  assert.equal(cfg.memoryMiB, 64);
  assert.equal(cfg.vcpus, 4);
  assert.equal(cfg.backend, "qemu");
  assert.deepEqual(cfg.vnvdimms.map((v) => (v.type === "size" ? v.namespace : undefined)), [
    { mode: "sector", labels: "v1.2", sectorSize: 4096 },
    { mode: "devdax", name: "x", labels: "v1.1", alignBytes: GiB },
    { mode: "raw", name: "r", labels: "v1.2" },
  ]);
  assert.equal(cfg.vnvdimms[1]!.id, "big");
});

test("strings take \\\\, \\', \\\", \\n and \\t escapes, in either quote", () => {
  const cfg = parseDomainConfig(`name = 'vm1'\nmemory = 64\nvnvdimms = [ "size=16M, namespace=fsdax:it's \\"q\\" \\\\ x, image=/i m\\'g" ]\n`);
  const ns = cfg.vnvdimms[0]!.type === "size" ? cfg.vnvdimms[0]!.namespace : undefined;
  assert.deepEqual(ns, { mode: "fsdax", name: 'it\'s "q" \\ x', labels: "v1.2", alignBytes: 2n * MiB, image: "/i m'g" });
});

test("every token carries its line and column", () => {
  const tokens = tokenize("name = \"vm1\"  # c\n\nvnvdimms = [ 'a\\tb',\n  0x10 ]");
  assert.deepEqual(tokens.map((t) => [t.kind, t.at.line, t.at.column]), [
    ["ident", 1, 1], ["=", 1, 6], ["string", 1, 8], ["newline", 1, 18], ["newline", 2, 1],
    ["ident", 3, 1], ["=", 3, 10], ["[", 3, 12], ["string", 3, 14], [",", 3, 20], ["newline", 3, 21],
    ["int", 4, 3], ["]", 4, 8], ["eof", 4, 9],
  ]);
  const s = tokens[8]!;
  assert.ok(s.kind === "string");
  assert.equal(s.value, "a\tb");
  assert.deepEqual(s.charColumns, [15, 16, 18]);
});

const HEAD = 'name = "vm1"\nmemory = 2048\n';
/** A config whose third line holds one spec; its first character is at column 15. */
const spec = (s: string) => `${HEAD}vnvdimms = [ '${s}' ]\n`;

interface Case {
  text: string;
  code: ConfigErrorCode;
  line: number;
  column: number;
  key: string;
  message: string;
}

const CASES: Case[] = [
  // syntax
  { text: 'name = "vm1\nmemory = 2048\n', code: "config.syntax", line: 1, column: 8, key: "name", message: 'vm1.cfg:1: name: the string is not closed — add a closing " on the same line' },
  { text: 'name = "v\\m1"\nmemory = 2048\n', code: "config.syntax", line: 1, column: 8, key: "name", message: "vm1.cfg:1: name: the escape \\m is not known — use \\\\ for a backslash; the escapes are \\\\, \\', \\\", \\n and \\t" },
  { text: `${HEAD}vnvdimms = [ 'size=4G',\n`, code: "config.syntax", line: 3, column: 12, key: "vnvdimms", message: "vm1.cfg:3: vnvdimms: the list is not closed — add ] after its last item" },
  { text: `${HEAD}vnvdimms = [ 'size=4G',\nvcpus = 2\n`, code: "config.syntax", line: 3, column: 12, key: "vnvdimms", message: "vm1.cfg:3: vnvdimms: the list is not closed — add ] after its last item, before line 4" },
  { text: `${HEAD}vnvdimms = [ 'size=4G'\n  'size=2G' ]\n`, code: "config.syntax", line: 4, column: 3, key: "vnvdimms[1]", message: "vm1.cfg:4: vnvdimms[1]: a comma is missing before this item — separate the items with commas" },
  { text: `${HEAD}vnvdimms = [\n  size=4G, node=1,\n]\n`, code: "config.syntax", line: 4, column: 3, key: "vnvdimms[0]", message: "vm1.cfg:4: vnvdimms[0]: the item is not quoted — put each item in quotes, e.g. [ 'size=4G, node=1' ]" },
  { text: `${HEAD}vnvdimms = [ [ 'size=4G' ] ]\n`, code: "config.syntax", line: 3, column: 14, key: "vnvdimms[0]", message: "vm1.cfg:3: vnvdimms[0]: a list cannot hold a list — write vnvdimms = [ 'size=4G' ]" },
  { text: `${HEAD}vcpus 2\n`, code: "config.syntax", line: 3, column: 7, key: "vcpus", message: 'vm1.cfg:3: vcpus: vcpus has no "=" — write vcpus = 2' },
  { text: `${HEAD}vcpus =\n`, code: "config.syntax", line: 3, column: 8, key: "vcpus", message: "vm1.cfg:3: vcpus: vcpus has no value — write vcpus = 2" },
  { text: `${HEAD}vcpus = 2 3\n`, code: "config.syntax", line: 3, column: 11, key: "vcpus", message: 'vm1.cfg:3: vcpus: "3" follows the value — put one key = value on each line, e.g. vcpus = 2' },
  { text: `${HEAD}= 2\n`, code: "config.syntax", line: 3, column: 1, key: "", message: 'vm1.cfg:3: "=" is not a key — start each line with a key, e.g. name = "vm1"' },
  { text: spec("=4G"), code: "config.syntax", line: 3, column: 15, key: "vnvdimms[0]", message: 'vm1.cfg:3: vnvdimms[0]: "=4G" has no key — write key=value, e.g. size=4G' },
  // unknown keys
  { text: `${HEAD}vcpu = 2\n`, code: "config.unknown-key", line: 3, column: 1, key: "vcpu", message: 'vm1.cfg:3: vcpu: "vcpu" is not a domain config key — did you mean vcpus?' },
  { text: `${HEAD}disk = [ ]\n`, code: "config.unknown-key", line: 3, column: 1, key: "disk", message: 'vm1.cfg:3: disk: "disk" is not a domain config key — the keys are name, memory, backend, vcpus, vnvdimms, on_mce' },
  { text: spec("size=4G, nodes=1"), code: "config.unknown-key", line: 3, column: 24, key: "vnvdimms[0].nodes", message: 'vm1.cfg:3: vnvdimms[0]: "nodes" is not a key of a size= vnvdimm — did you mean node?' },
  { text: spec("size=4G, nr_pages=9"), code: "config.unknown-key", line: 3, column: 24, key: "vnvdimms[0].nr_pages", message: 'vm1.cfg:3: vnvdimms[0]: "nr_pages" is not a key of a size= vnvdimm — nr_pages= needs type=mfn' },
  { text: spec("type=mfn, backend=1, nr_pages=100, size=4G"), code: "config.unknown-key", line: 3, column: 50, key: "vnvdimms[0].size", message: 'vm1.cfg:3: vnvdimms[0]: "size" is not a key of a type=mfn vnvdimm — size= is for size= vnvdimms; drop type=mfn to use it' },
  // missing keys
  { text: "memory = 2048\n", code: "config.missing-key", line: 2, column: 1, key: "name", message: 'vm1.cfg:2: name: name is not set — add a line name = "vm1"' },
  { text: 'name = "vm1"\n', code: "config.missing-key", line: 2, column: 1, key: "memory", message: "vm1.cfg:2: memory: memory is not set — add a line memory = 2048" },
  { text: spec("node=1"), code: "config.missing-key", line: 3, column: 14, key: "vnvdimms[0].size", message: "vm1.cfg:3: vnvdimms[0]: size is not set — add a size, e.g. size=4G, or use type=mfn with backend= and nr_pages=" },
  { text: spec("backend=1, nr_pages=100"), code: "config.missing-key", line: 3, column: 14, key: "vnvdimms[0].type", message: "vm1.cfg:3: vnvdimms[0]: type=mfn is missing — add type=mfn to use backend= and nr_pages=, or give size= instead" },
  { text: spec("type=mfn, nr_pages=100"), code: "config.missing-key", line: 3, column: 14, key: "vnvdimms[0].backend", message: "vm1.cfg:3: vnvdimms[0]: backend is not set — add the first MFN, e.g. backend=0x480000" },
  { text: spec("type=mfn, backend=1"), code: "config.missing-key", line: 3, column: 14, key: "vnvdimms[0].nr_pages", message: "vm1.cfg:3: vnvdimms[0]: nr_pages is not set — add the number of 4K pages, e.g. nr_pages=262144" },
  // duplicates
  { text: `${HEAD}name = "x"\n`, code: "config.duplicate-key", line: 3, column: 1, key: "name", message: "vm1.cfg:3: name: name is set twice (first on line 1) — keep one of the two lines" },
  { text: spec("size=4G, size=2G"), code: "config.duplicate-key", line: 3, column: 24, key: "vnvdimms[0].size", message: 'vm1.cfg:3: vnvdimms[0]: "size" is given twice — keep one size=' },
  // wrong types
  { text: "name = vm1\nmemory = 2048\n", code: "config.wrong-type", line: 1, column: 8, key: "name", message: 'vm1.cfg:1: name: name "vm1" is not in quotes — write name = "vm1"' },
  { text: "name = 1\nmemory = 2048\n", code: "config.wrong-type", line: 1, column: 8, key: "name", message: 'vm1.cfg:1: name: name must be a string — put it in quotes: name = "1"' },
  { text: 'name = "vm1"\nmemory = 2G\n', code: "config.wrong-type", line: 2, column: 10, key: "memory", message: 'vm1.cfg:2: memory: memory "2G" is not a number — memory is in MiB without a unit: write memory = 2048' },
  { text: 'name = "vm1"\nmemory = "2048"\n', code: "config.wrong-type", line: 2, column: 10, key: "memory", message: "vm1.cfg:2: memory: memory must be a number, not a string — drop the quotes, e.g. memory = 2048" },
  { text: `${HEAD}vnvdimms = 'size=4G'\n`, code: "config.wrong-type", line: 3, column: 12, key: "vnvdimms", message: "vm1.cfg:3: vnvdimms: vnvdimms must be a list — write vnvdimms = [ 'size=4G', 'size=1G' ]" },
  { text: `${HEAD}vnvdimms = [ 1 ]\n`, code: "config.wrong-type", line: 3, column: 14, key: "vnvdimms[0]", message: "vm1.cfg:3: vnvdimms[0]: the item is not a string — quote each spec, e.g. 'size=4G, node=1'" },
  { text: `${HEAD}backend = [ ]\n`, code: "config.wrong-type", line: 3, column: 11, key: "backend", message: 'vm1.cfg:3: backend: backend must be a string, not a list — write backend = "builtin"' },
  // bad values, top level
  { text: 'name = "vm 1"\nmemory = 2048\n', code: "config.bad-value", line: 1, column: 8, key: "name", message: `vm1.cfg:1: name: name "vm 1" holds " " — use 1 to 64 letters, digits, '.', '_' or '-', e.g. name = "vm1"` },
  { text: `name = "${"a".repeat(65)}"\nmemory = 2048\n`, code: "config.bad-value", line: 1, column: 8, key: "name", message: `vm1.cfg:1: name: name is 65 characters long — use 1 to 64 letters, digits, '.', '_' or '-', e.g. name = "vm1"` },
  { text: 'name = "vm1"\nmemory = 8\n', code: "config.bad-value", line: 2, column: 10, key: "memory", message: "vm1.cfg:2: memory: memory 8 MiB is less than 16 MiB — use memory = 16 or more (MiB)" },
  { text: 'name = "vm1"\nmemory = 010\n', code: "config.bad-value", line: 2, column: 10, key: "memory", message: 'vm1.cfg:2: memory: memory "010" has a leading zero — write memory = 10; xl would read it as octal' },
  { text: `${HEAD}vcpus = 129\n`, code: "config.bad-value", line: 3, column: 9, key: "vcpus", message: "vm1.cfg:3: vcpus: vcpus 129 is not between 1 and 128 — use e.g. vcpus = 2" },
  { text: `${HEAD}on_mce = "ignore"\n`, code: "config.bad-value", line: 3, column: 10, key: "on_mce", message: 'vm1.cfg:3: on_mce: on_mce "ignore" is not known — use on_mce = "stop" or on_mce = "tell"' },
  { text: `${HEAD}backend = "xen"\n`, code: "config.bad-value", line: 3, column: 11, key: "backend", message: 'vm1.cfg:3: backend: backend "xen" is not known — use backend = "builtin" or backend = "qemu"' },
  { text: `${HEAD}vnvdimms = [${"'size=16M',".repeat(65)}]\n`, code: "config.bad-value", line: 3, column: 12, key: "vnvdimms", message: "vm1.cfg:3: vnvdimms: 65 vnvdimms are more than 64 — give a domain at most 64" },
  // bad values, in specs
  { text: spec("size=4Q"), code: "config.bad-value", line: 3, column: 20, key: "vnvdimms[0].size", message: 'vm1.cfg:3: vnvdimms[0]: size "4Q" is not a size — use a number with K, M, G or T, e.g. size=4G' },
  { text: spec("size"), code: "config.bad-value", line: 3, column: 19, key: "vnvdimms[0].size", message: "vm1.cfg:3: vnvdimms[0]: size is empty — write a size, e.g. size=4G" },
  { text: spec("size=8M"), code: "config.bad-value", line: 3, column: 20, key: "vnvdimms[0].size", message: 'vm1.cfg:3: vnvdimms[0]: size "8M" is less than 16M — use at least size=16M' },
  { text: spec("size=65T"), code: "config.bad-value", line: 3, column: 20, key: "vnvdimms[0].size", message: 'vm1.cfg:3: vnvdimms[0]: size "65T" is more than 64T — use at most size=64T' },
  { text: spec("size=3001M"), code: "config.bad-value", line: 3, column: 20, key: "vnvdimms[0].size", message: 'vm1.cfg:3: vnvdimms[0]: size "3001M" is not a multiple of 2M — round it up to size=3002M' },
  { text: spec("size=4G, node=4096"), code: "config.bad-value", line: 3, column: 29, key: "vnvdimms[0].node", message: 'vm1.cfg:3: vnvdimms[0]: node "4096" is above 4095 — use the number of a host NUMA node, e.g. node=0' },
  { text: spec("size=4G, node=x"), code: "config.bad-value", line: 3, column: 29, key: "vnvdimms[0].node", message: 'vm1.cfg:3: vnvdimms[0]: node "x" is not a number — use decimal or 0x hex, e.g. node=1' },
  { text: spec("size=4G, label_size=64K"), code: "config.bad-value", line: 3, column: 35, key: "vnvdimms[0].label_size", message: 'vm1.cfg:3: vnvdimms[0]: label_size "64K" is less than 128K — use label_size=128K or more' },
  { text: spec("size=4G, label_size=130K"), code: "config.bad-value", line: 3, column: 35, key: "vnvdimms[0].label_size", message: 'vm1.cfg:3: vnvdimms[0]: label_size "130K" is not a multiple of 4K — round it up to label_size=132K' },
  { text: spec("size=4G, label_size=4G"), code: "config.bad-value", line: 3, column: 35, key: "vnvdimms[0].label_size", message: 'vm1.cfg:3: vnvdimms[0]: label_size "4G" is not below 2G — use a label area below 2G, e.g. label_size=128K' },
  { text: spec("size=4G, namespace=pmem"), code: "config.bad-value", line: 3, column: 34, key: "vnvdimms[0].namespace", message: 'vm1.cfg:3: vnvdimms[0]: namespace mode "pmem" is not known — use fsdax, devdax, sector or raw, with an optional name, e.g. namespace=fsdax:data' },
  { text: spec(`size=4G, namespace=fsdax:${"n".repeat(64)}`), code: "config.bad-value", line: 3, column: 34, key: "vnvdimms[0].namespace", message: "vm1.cfg:3: vnvdimms[0]: the namespace name is 64 characters long — use at most 63" },
  { text: spec("size=4G, namespace=fsdax:dätä"), code: "config.bad-value", line: 3, column: 34, key: "vnvdimms[0].namespace", message: 'vm1.cfg:3: vnvdimms[0]: the namespace name holds "\\u00e4" — use printable ASCII only' },
  { text: spec("size=4G, namespace=fsdax:"), code: "config.bad-value", line: 3, column: 34, key: "vnvdimms[0].namespace", message: 'vm1.cfg:3: vnvdimms[0]: the namespace name is empty — drop the ":" or give a name, e.g. namespace=fsdax:data' },
  { text: spec("size=4G, namespace=fsdax: a"), code: "config.bad-value", line: 3, column: 34, key: "vnvdimms[0].namespace", message: "vm1.cfg:3: vnvdimms[0]: the namespace name starts or ends with a space — remove the space" },
  { text: spec("size=4G, namespace=fsdax, labels=1.2"), code: "config.bad-value", line: 3, column: 48, key: "vnvdimms[0].labels", message: 'vm1.cfg:3: vnvdimms[0]: labels "1.2" is not a label version — use labels=v1.1 or labels=v1.2' },
  { text: spec("size=4G, namespace=fsdax, image="), code: "config.bad-value", line: 3, column: 47, key: "vnvdimms[0].image", message: "vm1.cfg:3: vnvdimms[0]: image is empty — give a file, e.g. image=rootfs.ext4" },
  { text: spec("size=4G, namespace=fsdax, image=a\\tb"), code: "config.bad-value", line: 3, column: 47, key: "vnvdimms[0].image", message: 'vm1.cfg:3: vnvdimms[0]: image holds the control character "\\t" — rename the file' },
  { text: spec("size=4G, namespace=sector, sector_size=1024"), code: "config.bad-value", line: 3, column: 54, key: "vnvdimms[0].sector_size", message: 'vm1.cfg:3: vnvdimms[0]: sector_size "1024" is not 512 or 4096 — use sector_size=512 or sector_size=4096' },
  { text: spec("size=4G, namespace=fsdax, align=4M"), code: "config.bad-value", line: 3, column: 47, key: "vnvdimms[0].align", message: 'vm1.cfg:3: vnvdimms[0]: align "4M" is not 2M or 1G — use align=2M or align=1G' },
  { text: spec("size=4G, unarmed=yes"), code: "config.bad-value", line: 3, column: 32, key: "vnvdimms[0].unarmed", message: 'vm1.cfg:3: vnvdimms[0]: unarmed "yes" is not 0 or 1 — use unarmed=1 for a read-only device, or unarmed=0' },
  { text: spec("size=4G, id=1x"), code: "config.bad-value", line: 3, column: 27, key: "vnvdimms[0].id", message: `vm1.cfg:3: vnvdimms[0]: id "1x" is not a usable id — start with a letter, then up to 31 letters, digits, '.', '_' or '-', e.g. id=data` },
  { text: spec("type=disk"), code: "config.bad-value", line: 3, column: 20, key: "vnvdimms[0].type", message: "vm1.cfg:3: vnvdimms[0]: type \"disk\" is not known — use type=mfn, or leave type out and give size=" },
  { text: spec("type=mfn, backend=0x10000000000, nr_pages=64"), code: "config.bad-value", line: 3, column: 33, key: "vnvdimms[0].backend", message: 'vm1.cfg:3: vnvdimms[0]: backend "0x10000000000" is past the largest MFN — use an MFN below 0x10000000000' },
  { text: spec("type=mfn, backend=1, nr_pages=0"), code: "config.bad-value", line: 3, column: 45, key: "vnvdimms[0].nr_pages", message: "vm1.cfg:3: vnvdimms[0]: nr_pages is 0 — give the number of 4K pages, label pages included, e.g. nr_pages=262144" },
  { text: spec("type=mfn, backend=1, nr_pages=100, nr_label_pages=16"), code: "config.bad-value", line: 3, column: 65, key: "vnvdimms[0].nr_label_pages", message: 'vm1.cfg:3: vnvdimms[0]: nr_label_pages "16" is less than 32 — use nr_label_pages=32 (128K) or more' },
  // conflicts between keys
  { text: spec("type=mfn, backend=1, nr_pages=64, nr_label_pages=64"), code: "config.conflict", line: 3, column: 49, key: "vnvdimms[0].nr_label_pages", message: "vm1.cfg:3: vnvdimms[0]: nr_label_pages 64 is not less than nr_pages 64 — the label area is the extent's tail: use nr_pages above 64, or fewer label pages" },
  { text: spec("type=mfn, backend=1, nr_pages=16"), code: "config.conflict", line: 3, column: 36, key: "vnvdimms[0].nr_pages", message: "vm1.cfg:3: vnvdimms[0]: nr_pages 16 leaves no room for the 32 label pages — the label area is the extent's tail: use nr_pages above 32" },
  { text: spec("type=mfn, backend=0xffffffffff, nr_pages=64"), code: "config.conflict", line: 3, column: 47, key: "vnvdimms[0].nr_pages", message: "vm1.cfg:3: vnvdimms[0]: the extent ends past the largest MFN — use a lower backend= or fewer nr_pages" },
  { text: spec("size=4G, labels=v1.1"), code: "config.conflict", line: 3, column: 24, key: "vnvdimms[0].labels", message: "vm1.cfg:3: vnvdimms[0]: labels= needs a namespace — add namespace=fsdax, or drop labels=" },
  { text: spec("size=4G, namespace=devdax, image=x"), code: "config.conflict", line: 3, column: 42, key: "vnvdimms[0].image", message: "vm1.cfg:3: vnvdimms[0]: image= does not apply to namespace=devdax — add namespace=fsdax, or drop image=" },
  { text: spec("size=4G, namespace=fsdax, sector_size=512"), code: "config.conflict", line: 3, column: 41, key: "vnvdimms[0].sector_size", message: "vm1.cfg:3: vnvdimms[0]: sector_size= does not apply to namespace=fsdax — add namespace=sector, or drop sector_size=" },
  { text: spec("size=4G, namespace=sector, align=2M"), code: "config.conflict", line: 3, column: 42, key: "vnvdimms[0].align", message: "vm1.cfg:3: vnvdimms[0]: align= does not apply to namespace=sector — add namespace=fsdax or namespace=devdax, or drop align=" },
  { text: spec("size=20M, namespace=raw"), code: "config.conflict", line: 3, column: 15, key: "vnvdimms[0].size", message: "vm1.cfg:3: vnvdimms[0]: a namespace comes in 16M steps, so size=20M is not one: the guest would see 16M — use size=32M or size=16M" },
  { text: spec("size=1504M, namespace=fsdax, align=1G"), code: "config.conflict", line: 3, column: 44, key: "vnvdimms[0].align", message: "vm1.cfg:3: vnvdimms[0]: align=1G needs a size that is a multiple of 1G — use size=2G or align=2M" },
  { text: `${HEAD}vnvdimms = [ 'size=4G, id=a', 'size=4G, id=a' ]\n`, code: "config.conflict", line: 3, column: 41, key: "vnvdimms[1].id", message: 'vm1.cfg:3: vnvdimms[1]: id "a" is already used by vnvdimms[0] — give each vnvdimm its own id' },
  { text: `${HEAD}vnvdimms = [ 'type=mfn, backend=0x100, nr_pages=100',\n  'type=mfn, nr_pages=100, backend=0x150' ]\n`, code: "config.conflict", line: 4, column: 28, key: "vnvdimms[1].backend", message: "vm1.cfg:4: vnvdimms[1]: the MFN range overlaps vnvdimms[0] — give each vnvdimm its own pages" },
];

test("each kind of error names the file, line, column, key and a fix", async (t) => {
  for (const c of CASES) {
    await t.test(c.message, () => {
      const r = checkDomainConfig(c.text, "vm1.cfg");
      assert.ok(!r.ok, "the config is refused");
      assert.deepEqual(r.errors.map((e) => ({ text: c.text, code: e.code, line: e.line, column: e.column, key: e.key, message: e.message })), [c]);
      assert.throws(() => parseDomainConfig(c.text, "vm1.cfg"), (e) => e instanceof ConfigError && e.message === c.message);
    });
  }
});

test("all errors are collected in reading order; the thrown one is the first", () => {
  const text = `vcpus = 0\nname = "a b"\nmemory = 2G\nvnvdimms = [ 'size=4Q', 'size=4G, labels=v9' ]\nbogus = 1\n`;
  const r = checkDomainConfig(text, "x.cfg");
  assert.ok(!r.ok);
  assert.deepEqual(r.errors.map((e) => `${e.line}:${e.column} ${e.key}`), [
    "1:9 vcpus", "2:8 name", "3:10 memory", "4:20 vnvdimms[0].size", "4:42 vnvdimms[1].labels", "5:1 bogus",
  ]);
  let thrown: unknown;
  try {
    parseDomainConfig(text, "x.cfg");
  } catch (e) {
    thrown = e;
  }
  assert.ok(thrown instanceof ConfigError && thrown instanceof Error);
  assert.equal(thrown.message, r.errors[0]!.message);
  assert.deepEqual(thrown.all.map((e) => e.message), r.errors.map((e) => e.message));
  const json = JSON.parse(JSON.stringify(thrown)) as { error: string; line: number; key: string; hint: string; errors: unknown[] };
  assert.equal(json.error, "config.bad-value");
  assert.equal(json.line, 1);
  assert.equal(json.key, "vcpus");
  assert.equal(json.hint, "use e.g. vcpus = 2");
  assert.equal(json.errors.length, 6);
});

test("a syntax error costs one message and the next statement is still read", () => {
  const r = checkDomainConfig(`name = "a\nvnvdimms = [\n  size=4G,\n  'size=2G',\n]\nmemory = 2048\nvcpus = 999\n`, "x.cfg");
  assert.ok(!r.ok);
  assert.deepEqual(r.errors.map((e) => `${e.line} ${e.code} ${e.key}`), ["1 config.syntax name", "3 config.syntax vnvdimms[0]", "7 config.bad-value vcpus"]);
});

test("parseVnvdimmSpec reads one spec, as `attach` takes it", () => {
  assert.deepEqual(parseVnvdimmSpec("size=16M, id=hot"), {
    type: "size", id: "hot", sizeBytes: 16n * MiB, labelSizeBytes: 128n * 1024n, nrPages: 4096n + 32n, nrLabelPages: 32n, unarmed: false,
  });
  assert.throws(() => parseVnvdimmSpec("size=16M, node=x"), (e) =>
    e instanceof ConfigError && e.column === 16 && e.message === '<spec>:1: vnvdimm: node "x" is not a number — use decimal or 0x hex, e.g. node=1');
});

test("formatConfig writes the xl style back, every default spelled out", () => {
  assert.equal(formatConfig(parseDomainConfig(EXAMPLE)), `name = "vm1"
memory = 2048
backend = "builtin"
vnvdimms = [ 'type=mfn, backend=0x480000, nr_pages=262144, nr_label_pages=32',
             'size=4G, node=1, label_size=128K, namespace=fsdax:data, labels=v1.2, align=2M',
             'size=1G, label_size=128K, unarmed=1' ]
`);
});

test("round trip: parse(format(cfg)) deep-equals cfg", () => {
  fc.assert(fc.property(domainConfig, (cfg) => {
    assert.deepStrictEqual(parseDomainConfig(formatConfig(cfg), "rt.cfg"), cfg);
  }), { numRuns: 500 });
});

/** Totality: the result is a config or ConfigErrors with sane one-line messages, quickly. */
function assertTotal(text: string): void {
  const started = performance.now();
  let r: ReturnType<typeof checkDomainConfig>;
  try {
    r = checkDomainConfig(text, "f.cfg");
  } catch (e) {
    assert.fail(`checkDomainConfig threw ${String(e)} for ${JSON.stringify(text)}`);
  }
  assert.ok(performance.now() - started < 1000, "bounded time");
  if (r.ok) return;
  assert.ok(r.errors.length > 0);
  for (const e of r.errors) {
    assert.ok(e instanceof ConfigError);
    assert.ok(!/[\r\n\u2028\u2029]/.test(e.message), `one line: ${e.message}`);
    assert.ok(e.message.startsWith(`f.cfg:${e.line}: `));
    assert.ok(e.line >= 1 && e.column >= 1);
    assert.doesNotThrow(() => JSON.stringify(e));
  }
  assert.throws(() => parseDomainConfig(text, "f.cfg"), ConfigError);
}

test("fuzz: arbitrary text gives a config or ConfigErrors, never anything else", () => {
  fc.assert(fc.property(fc.string({ unit: "binary", maxLength: 400 }), assertTotal), { numRuns: 2000 });
  fc.assert(fc.property(fc.string({ unit: "grapheme-ascii", maxLength: 400 }), assertTotal), { numRuns: 2000 });
});

test("fuzz: the language's own pieces in random order", () => {
  fc.assert(fc.property(tokenSoup, assertTotal), { numRuns: 5000 });
});

test("fuzz: valid configs with a few edits", () => {
  fc.assert(fc.property(mutatedConfig, assertTotal), { numRuns: 3000 });
});

test("fuzz: parseVnvdimmSpec throws only ConfigError", () => {
  fc.assert(fc.property(fc.oneof(tokenSoup, fc.string({ unit: "binary", maxLength: 200 })), (s) => {
    try {
      parseVnvdimmSpec(s);
    } catch (e) {
      assert.ok(e instanceof ConfigError, String(e));
    }
  }), { numRuns: 3000 });
});

test("oversized input is refused at once", () => {
  const r = checkDomainConfig("#".repeat(256 * 1024 + 1), "big.cfg");
  assert.ok(!r.ok);
  assert.equal(r.errors[0]!.message, "big.cfg:1: the text is longer than 262144 characters — check that this is a domain config");
});

test("past 100 errors the list stops, its last entry counting the rest", () => {
  // 150 bad lines, then name and memory are missing: 152 errors, 99 listed.
  const r = checkDomainConfig("x\n".repeat(150), "junk.cfg");
  assert.ok(!r.ok);
  assert.equal(r.errors.length, 100);
  assert.equal(r.errors[98]!.code, "config.syntax");
  const last = r.errors[99]!;
  assert.equal(last.code, "config.too-many-errors");
  assert.equal(last.message, "junk.cfg:100: 53 more errors are not listed — fix the errors above and check again");
});
