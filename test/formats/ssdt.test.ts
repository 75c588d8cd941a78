import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import fc from "fast-check";
import {
  buildNvdimmSsdt, slotToHandle, slotToDeviceName, NVDIMM_MAX_SLOTS, AcpiHeader, byteSum, validateAcpiHeader,
} from "../../src/formats/index.js";

// Compiled tests run from dist/test/formats; the fixtures stay in test/data.
const FIXTURE = fileURLToPath(new URL("../../../test/data/fixtures/S3-acpi-one-dimm/acpi/", import.meta.url));
const QEMU = { slots: 4, memaAddress: 0x1fff_f000 };

function countOf(haystack: Uint8Array, needle: string): number {
  const text = Buffer.from(haystack).toString("latin1");
  return text.split(needle).length - 1;
}

test("4-slot SSDT is byte-identical to QEMU 10's", () => {
  const want = new Uint8Array(readFileSync(join(FIXTURE, "SSDT.bin")));
  const got = buildNvdimmSsdt(QEMU);
  assert.equal(got.length, want.length);
  const firstDiff = got.findIndex((b, i) => b !== want[i]);
  assert.equal(firstDiff, -1, `first difference at offset 0x${firstDiff.toString(16)}`);
});

test("header defaults are QEMU's and can be overridden", () => {
  const h = AcpiHeader.decode(buildNvdimmSsdt(QEMU));
  assert.deepEqual([h.signature, h.revision, h.oemId, h.oemTableId, h.oemRevision, h.aslCompilerId, h.aslCompilerRevision],
    ["SSDT", 1, "BOCHS ", "NVDIMM", 1, "BXPC", 1]);
  const o = AcpiHeader.decode(buildNvdimmSsdt({ ...QEMU, oemId: "VNVDIM", oemTableId: "VNVDSSDT", oemRevision: 3, creatorId: "VNVD", creatorRevision: 2 }));
  assert.deepEqual([o.oemId, o.oemTableId, o.oemRevision, o.aslCompilerId, o.aslCompilerRevision], ["VNVDIM", "VNVDSSDT", 3, "VNVD", 2]);
});

test("slot numbering: handle = slot + 1, names NV%02X", () => {
  assert.equal(slotToHandle(0), 1);
  assert.equal(slotToHandle(63), 64);
  assert.deepEqual([0, 3, 10, 255].map(slotToDeviceName), ["NV00", "NV03", "NV0A", "NVFF"]);
});

test("every slot count from 1 to 64 builds a valid table", () => {
  for (let slots = 1; slots <= 64; slots++) {
    const t = buildNvdimmSsdt({ slots, memaAddress: 0x1fff_f000 });
    assert.deepEqual(validateAcpiHeader(t, "SSDT"), [], `slots=${slots}`);
    assert.equal(AcpiHeader.decode(t).length, t.length);
    assert.equal(byteSum(t), 0);
    assert.equal(countOf(t, "\x5b\x82"), slots + 1, "one Device per slot plus NVDR");
    assert.equal(countOf(t, `\x5b\x82`), countOf(t, "_LSI") + 1);
    assert.equal(countOf(t, slotToDeviceName(slots - 1)), 1);
  }
  assert.ok(buildNvdimmSsdt({ slots: NVDIMM_MAX_SLOTS, memaAddress: 0 }).length > 0);
});

test("bad options are rejected", () => {
  for (const slots of [0, -1, 1.5, NVDIMM_MAX_SLOTS + 1]) assert.throws(() => buildNvdimmSsdt({ slots, memaAddress: 0 }), RangeError);
  for (const memaAddress of [-1, 2 ** 32, 0.5]) assert.throws(() => buildNvdimmSsdt({ slots: 1, memaAddress }), RangeError);
});

test("property: any slot count and MEMA gives a table that sums to 0 with MEMA patched at the end", () => {
  fc.assert(fc.property(fc.integer({ min: 1, max: NVDIMM_MAX_SLOTS }), fc.integer({ min: 0, max: 0xffff_ffff }), (slots, mema) => {
    const t = buildNvdimmSsdt({ slots, memaAddress: mema });
    assert.equal(byteSum(t), 0);
    assert.equal(AcpiHeader.decode(t).length, t.length);
    const tail = t.subarray(t.length - 10);
    assert.deepEqual([...tail.subarray(0, 6)], [0x08, 0x4d, 0x45, 0x4d, 0x41, 0x0c]); // Name (MEMA, DWordConst)
    assert.equal(new DataView(tail.buffer, tail.byteOffset).getUint32(6, true), mema);
  }), { numRuns: 60 });
});

function haveIasl(): boolean {
  return !spawnSync("iasl", ["-v"], { encoding: "utf8" }).error;
}

/** `iasl -e DSDT.bin -d` as in iasl-SSDT.log; returns the exit status, the log and the disassembly. */
function disassemble(table: Uint8Array): { status: number | null; log: string; dsl: string } {
  const dir = mkdtempSync(join(tmpdir(), "vnvdimm-ssdt-"));
  try {
    writeFileSync(join(dir, "SSDT.bin"), table);
    const r = spawnSync("iasl", ["-e", join(FIXTURE, "DSDT.bin"), "-d", "SSDT.bin"], { cwd: dir, encoding: "utf8" });
    let dsl = "";
    try { dsl = readFileSync(join(dir, "SSDT.dsl"), "utf8"); } catch { /* reported through status */ }
    return { status: r.status, log: `${r.stdout}${r.stderr}`, dsl };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** The disassembly without its comment header (tool version, date, file name, checksum). */
function normalize(dsl: string): string {
  return dsl.replace(/^\/\*[\s\S]*?\*\/\n/, "").trimEnd();
}

const IASL_MISSING = "iasl not found (Debian acpica-tools): install it, or run `bash scripts/system-deps.sh`";

test("iasl disassembles our 4-slot SSDT to the fixture's SSDT.dsl", (t) => {
  if (!haveIasl()) { t.skip(IASL_MISSING); return; }
  const r = disassemble(buildNvdimmSsdt(QEMU));
  assert.equal(r.status, 0, r.log);
  assert.deepEqual(r.log.split("\n").filter((l) => /error/i.test(l)), []);
  assert.equal(normalize(r.dsl), normalize(readFileSync(join(FIXTURE, "SSDT.dsl"), "utf8")));
});

test("iasl accepts other slot counts", (t) => {
  if (!haveIasl()) { t.skip(IASL_MISSING); return; }
  for (const slots of [1, 17, 64]) {
    const r = disassemble(buildNvdimmSsdt({ slots, memaAddress: 0xfedc_b000 }));
    assert.equal(r.status, 0, r.log);
    assert.deepEqual(r.log.split("\n").filter((l) => /error/i.test(l)), []);
    assert.equal(r.dsl.match(/Device \(NV[0-9A-F]{2}\)/g)?.length, slots, `slots=${slots}`);
    assert.match(r.dsl, /Name \(MEMA, 0xFEDCB000\)/);
  }
});
