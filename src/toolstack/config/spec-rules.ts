// One check per key of a vnvdimm spec. The limits, and why:
//   size         16M to 64T, a multiple of 2M: every guest window must be able
//                to hold an fsdax/devdax namespace, which Linux maps in 2 MiB
//                sections (align=1G further needs a multiple of 1G).
//   label_size   ≥ 128K (Linux and QEMU's minimum), a multiple of 4K (whole
//                pages), below 2G (Linux reads the area into one buffer, and
//                cannot allocate one of 2 GiB; LABEL_AREA_LIMIT_BYTES).
//   node         0–4095, as the machine spec allows.
//   backend      an MFN below 2^40 (Xen's 52-bit physical addresses).
//   nr_label_pages ≥ 32 (128 KiB), and below nr_pages, as the Xen label series.
//   namespace    a name of 1–63 printable ASCII characters: the label's name
//                field is 64 bytes with a terminating NUL.
import { LABEL_AREA_LIMIT_BYTES } from "../../formats/index.js";
import { quote } from "./config-error.js";
import { bad, badValue, ok, type Checked } from "./rules.js";
import { firstControl, firstNonPrintable, formatSize, GiB, KiB, MiB, readNumber, readSize, roundUp, TiB } from "./value-text.js";
import type { LabelVersion, NamespaceMode } from "./types.js";

export const SIZE_MIN_BYTES = 16n * MiB;
export const SIZE_MAX_BYTES = 64n * TiB;
export const SIZE_STEP_BYTES = 2n * MiB;
export const LABEL_MIN_BYTES = 128n * KiB;
export const LABEL_STEP_BYTES = 4n * KiB;
export const LABEL_LIMIT_BYTES = BigInt(LABEL_AREA_LIMIT_BYTES);
export const DEFAULT_LABEL_BYTES = 128n * KiB;
export const MFN_LIMIT = 1n << 40n;
export const MIN_LABEL_PAGES = 32n;
export const LABEL_PAGES_LIMIT = LABEL_LIMIT_BYTES / 4096n;
export const NODE_MAX = 4095;
export const DEFAULT_ALIGN_BYTES = 2n * MiB;
export const DEFAULT_SECTOR_SIZE = 4096;
export const DEFAULT_LABELS: LabelVersion = "v1.2";
export const NAMESPACE_NAME_MAX = 63;
export const IMAGE_PATH_MAX = 4096;

const MODES: readonly NamespaceMode[] = ["fsdax", "devdax", "sector", "raw"];
const ID = /^[A-Za-z][A-Za-z0-9._-]{0,31}$/;

type Text = string | undefined;

export function checkUnarmed(t: Text): Checked<boolean> {
  if (t === undefined || t === "0") return ok(false);
  if (t === "1") return ok(true);
  return badValue(`unarmed ${quote(t)} is not 0 or 1`, "use unarmed=1 for a read-only device, or unarmed=0");
}

export function checkId(t: Text): Checked<string | undefined> {
  if (t === undefined || ID.test(t)) return ok(t);
  return badValue(`id ${quote(t)} is not a usable id`, "start with a letter, then up to 31 letters, digits, '.', '_' or '-', e.g. id=data");
}

export function checkSize(t: Text): Checked<bigint> {
  if (t === undefined) return bad("config.missing-key", "size is not set", "add a size, e.g. size=4G", true);
  const r = readSize("size", t, "4G");
  if (!r.ok) return r;
  const n = r.value;
  if (n < SIZE_MIN_BYTES) return badValue(`size ${quote(t)} is less than 16M`, "use at least size=16M");
  if (n > SIZE_MAX_BYTES) return badValue(`size ${quote(t)} is more than 64T`, "use at most size=64T");
  if (n % SIZE_STEP_BYTES !== 0n) return badValue(`size ${quote(t)} is not a multiple of 2M`, `round it up to size=${formatSize(roundUp(n, SIZE_STEP_BYTES))}`);
  return ok(n);
}

export function checkNode(t: Text): Checked<number | undefined> {
  if (t === undefined) return ok(undefined);
  const r = readNumber("node", t, "1");
  if (!r.ok) return r;
  if (r.value > BigInt(NODE_MAX)) return badValue(`node ${quote(t)} is above ${NODE_MAX}`, "use the number of a host NUMA node, e.g. node=0");
  return ok(Number(r.value));
}

export function checkLabelSize(t: Text): Checked<bigint> {
  if (t === undefined) return ok(DEFAULT_LABEL_BYTES);
  const r = readSize("label_size", t, "128K");
  if (!r.ok) return r;
  const n = r.value;
  if (n < LABEL_MIN_BYTES) return badValue(`label_size ${quote(t)} is less than 128K`, "use label_size=128K or more");
  if (n >= LABEL_LIMIT_BYTES) return badValue(`label_size ${quote(t)} is not below 2G`, "use a label area below 2G, e.g. label_size=128K");
  if (n % LABEL_STEP_BYTES !== 0n) return badValue(`label_size ${quote(t)} is not a multiple of 4K`, `round it up to label_size=${formatSize(roundUp(n, LABEL_STEP_BYTES))}`);
  return ok(n);
}

export interface NamespaceText {
  mode: NamespaceMode;
  name?: string;
}

export function checkNamespace(t: Text): Checked<NamespaceText | undefined> {
  if (t === undefined) return ok(undefined);
  const colon = t.indexOf(":");
  const mode = colon < 0 ? t : t.slice(0, colon);
  const hint = "use fsdax, devdax, sector or raw, with an optional name, e.g. namespace=fsdax:data";
  if (!(MODES as readonly string[]).includes(mode)) return badValue(`namespace mode ${quote(mode)} is not known`, hint);
  if (colon < 0) return ok({ mode: mode as NamespaceMode });
  const name = t.slice(colon + 1);
  if (name === "") return badValue("the namespace name is empty", `drop the ":" or give a name, e.g. namespace=${mode}:data`);
  if (name.length > NAMESPACE_NAME_MAX) return badValue(`the namespace name is ${name.length} characters long`, `use at most ${NAMESPACE_NAME_MAX}`);
  const odd = firstNonPrintable(name);
  if (odd !== undefined) return badValue(`the namespace name holds ${quote(odd)}`, "use printable ASCII only");
  if (name.trim() !== name) return badValue("the namespace name starts or ends with a space", "remove the space");
  return ok({ mode: mode as NamespaceMode, name });
}

export function checkLabels(t: Text): Checked<LabelVersion | undefined> {
  if (t === undefined || t === "v1.1" || t === "v1.2") return ok(t);
  return badValue(`labels ${quote(t)} is not a label version`, "use labels=v1.1 or labels=v1.2");
}

export function checkImage(t: Text): Checked<string | undefined> {
  if (t === undefined) return ok(undefined);
  if (t === "") return badValue("image is empty", "give a file, e.g. image=rootfs.ext4");
  if (t.length > IMAGE_PATH_MAX) return badValue(`image is ${t.length} characters long`, `use a path of at most ${IMAGE_PATH_MAX}`);
  const odd = firstControl(t);
  if (odd !== undefined) return badValue(`image holds the control character ${quote(odd)}`, "rename the file");
  return ok(t);
}

export function checkSectorSize(t: Text): Checked<512 | 4096 | undefined> {
  if (t === undefined) return ok(undefined);
  const r = readNumber("sector_size", t, "4096");
  if (!r.ok) return r;
  if (r.value === 512n) return ok(512);
  if (r.value === 4096n) return ok(4096);
  return badValue(`sector_size ${quote(t)} is not 512 or 4096`, "use sector_size=512 or sector_size=4096");
}

export function checkAlign(t: Text): Checked<bigint | undefined> {
  if (t === undefined) return ok(undefined);
  const r = readSize("align", t, "2M");
  if (!r.ok) return r;
  if (r.value === 2n * MiB || r.value === GiB) return ok(r.value);
  return badValue(`align ${quote(t)} is not 2M or 1G`, "use align=2M or align=1G");
}

export function checkType(t: Text): Checked<"mfn"> {
  if (t === "mfn") return ok("mfn");
  return badValue(`type ${quote(t ?? "")} is not known`, "use type=mfn, or leave type out and give size=");
}

export function checkBackend(t: Text): Checked<bigint> {
  if (t === undefined) return bad("config.missing-key", "backend is not set", "add the first MFN, e.g. backend=0x480000", true);
  const r = readNumber("backend", t, "0x480000");
  if (!r.ok) return r;
  if (r.value >= MFN_LIMIT) return badValue(`backend ${quote(t)} is past the largest MFN`, "use an MFN below 0x10000000000");
  return ok(r.value);
}

export function checkNrPages(t: Text): Checked<bigint> {
  if (t === undefined) return bad("config.missing-key", "nr_pages is not set", "add the number of 4K pages, e.g. nr_pages=262144", true);
  const r = readNumber("nr_pages", t, "262144");
  if (!r.ok) return r;
  if (r.value === 0n) return badValue("nr_pages is 0", "give the number of 4K pages, label pages included, e.g. nr_pages=262144");
  if (r.value > MFN_LIMIT) return badValue(`nr_pages ${quote(t)} is more than there are MFNs`, "use the extent's size in 4K pages");
  return ok(r.value);
}

export function checkNrLabelPages(t: Text): Checked<bigint | undefined> {
  if (t === undefined) return ok(undefined);
  const r = readNumber("nr_label_pages", t, "32");
  if (!r.ok) return r;
  if (r.value < MIN_LABEL_PAGES) return badValue(`nr_label_pages ${quote(t)} is less than 32`, "use nr_label_pages=32 (128K) or more");
  if (r.value >= LABEL_PAGES_LIMIT) return badValue(`nr_label_pages ${quote(t)} is not below ${LABEL_PAGES_LIMIT} (2G)`, "use a smaller label area, e.g. nr_label_pages=32");
  return ok(r.value);
}
