// Names read from media or a guest are data: the text output shows their
// control characters as escapes, --json keeps the exact value.
import { test } from "node:test";
import assert from "node:assert/strict";
import { closeSync, mkdtempSync, openSync, readSync, writeFileSync, writeSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { cli, ok } from "../helpers/cli.js";
import {
  GUIDS, LabelV12, applyWrites, decodeLabel, guidToBytes, initLabelWrites, labelAreaLayout, labelChecksum, planLabelUpdate,
  qemuDimmCookies, rawTextToBytes, slotOffset,
} from "../../src/formats/index.js";

/** OSC "set window title" ended by BEL, a CSI "erase screen", a C1 CSI (0x9b) and a backslash: latin1, as a label name decodes. */
const HOSTILE = "\x1b]0;PWNED\x07\x1b[2J\x9b31m\\end";
const ESCAPED = "\\x1b]0;PWNED\\x07\\x1b[2J\\x9b31m\\\\end";
/** What must never reach a terminal raw (newlines are the output's own). */
const RAW_CONTROL = /[^\P{Cc}\n]/u;

/** Renames, in place, every v1.2 label called `from` in a label area, resealing its checksum. */
function renameLabels(area: Uint8Array, from: string, to: string): number {
  const layout = labelAreaLayout(area.length, 256)!;
  const dv = new DataView(area.buffer, area.byteOffset, area.byteLength);
  let n = 0;
  for (let slot = 0; slot < layout.nslot; slot++) {
    const off = slotOffset(layout, slot);
    if (decodeLabel(area, off, 256).name !== from) continue;
    const name = area.subarray(off + LabelV12.offsetOf("name"), off + LabelV12.offsetOf("name") + 64);
    name.fill(0);
    name.set(Buffer.from(to, "latin1"));
    dv.setBigUint64(off + LabelV12.offsetOf("checksum"), labelChecksum(area, off), true);
    n++;
  }
  return n;
}

test("inspect labels: a hostile label name is escaped in the text, exact in --json", async () => {
  const dir = mkdtempSync(join(tmpdir(), "vnvdimm-hostile-"));
  let area = applyWrites(new Uint8Array(131072), initLabelWrites(131072, "1.2"));
  area = planLabelUpdate(area, {
    uuid: rawTextToBytes("11111111-2222-3333-4444-555555555555"), name: "placeholder", isetcookie: qemuDimmCookies(0).v12,
    dpa: 0n, rawsize: 16n << 20n, typeGuid: guidToBytes(GUIDS.spaPersistentMemory),
  }).area;
  assert.ok(renameLabels(area, "placeholder", HOSTILE) > 0);
  const file = join(dir, "labels.bin");
  writeFileSync(file, area);

  const t = await cli("inspect", "labels", file, "--label-area");
  assert.equal(t.code, 0, t.err);
  assert.ok(!RAW_CONTROL.test(t.out), JSON.stringify(t.out));
  assert.ok(t.out.includes(ESCAPED), t.out);
  // The namespaces table stays aligned: the escaped name is padded like any other cell.
  assert.match(t.out, new RegExp(`\n {2}uuid {34}name {${ESCAPED.length - 4 + 2}}mode`));

  const j = await cli("inspect", "labels", file, "--label-area", "--json");
  assert.equal(j.code, 0, j.err);
  assert.ok(!RAW_CONTROL.test(j.out), "JSON writes controls as \\u escapes");
  const parsed = JSON.parse(j.out) as { label: { name: string }[]; namespaces: { name: string }[] };
  assert.equal(parsed.namespaces[0]!.name, HOSTILE);
  assert.ok(parsed.label.every((l) => l.name === HOSTILE));
});

test("guest namespaces: a namespace name the guest reads from its label area is escaped in the text, exact in --json", async () => {
  const dir = mkdtempSync(join(tmpdir(), "vnvdimm-hostile-"));
  const spec = join(dir, "machine.json");
  writeFileSync(spec, JSON.stringify({ name: "hostile", sockets: [{ node: 0, ram: "1G" }], nvdimms: [{ node: 0, size: "512M" }] }));
  const state = join(dir, "state");
  await ok("host", "init", "--state", state, "--spec", spec);
  await ok("pmem", "reserve", "--dimm", "0", "--state", state);
  const cfg = join(dir, "h.cfg");
  writeFileSync(cfg, `name = "h"\nmemory = 256\nvnvdimms = [ 'size=32M, namespace=fsdax:placeholder, labels=v1.2' ]\n`);
  await ok("create", cfg, "--state", state);

  // The guest's label area is the last label pages of its extent in the host DIMM's file.
  const map = JSON.parse(await ok("pmem", "map", "--state", state, "--json")) as { dimms: { path: string; segments: { kind: string; domain?: string; offset: number; bytes: number; labelPages?: number }[] }[] };
  const dimm = map.dimms[0]!;
  const ext = dimm.segments.find((s) => s.kind === "extent" && s.domain === "h")!;
  const area = new Uint8Array(ext.labelPages! * 4096), at = ext.offset + ext.bytes - area.length;
  const fd = openSync(dimm.path, "r+");
  try {
    readSync(fd, area, 0, area.length, at);
    assert.ok(renameLabels(area, "placeholder", HOSTILE) > 0);
    writeSync(fd, area, 0, area.length, at);
  } finally { closeSync(fd); }

  const t = await cli("guest", "namespaces", "h", "--state", state);
  assert.equal(t.code, 0, t.err);
  assert.ok(!RAW_CONTROL.test(t.out), JSON.stringify(t.out));
  assert.ok(t.out.includes(ESCAPED), t.out);

  const j = JSON.parse(await ok("guest", "namespaces", "h", "--state", state, "--json")) as { name: string; mode: string }[];
  assert.deepEqual(j.map((n) => [n.name, n.mode]), [[HOSTILE, "fsdax"]]);
});
