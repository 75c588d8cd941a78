// The initramfs writer: the newc layout the kernel unpacks, deterministic bytes, checked by busybox's own cpio.
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { CpioError, encodeNewc, type CpioEntry } from "../../../src/backends/qemu/image/cpio-newc.js";

const enc = (s: string) => new TextEncoder().encode(s);
const entries: CpioEntry[] = [
  { kind: "file", path: "bin/hello", mode: 0o755, data: enc("#!/bin/sh\necho hi\n") },
  { kind: "dir", path: "bin" },
  { kind: "symlink", path: "bin/sh", target: "busybox" },
  { kind: "chardev", path: "dev/console", mode: 0o600, major: 5, minor: 1 },
  { kind: "dir", path: "dev" },
];

function headers(a: Uint8Array): { name: string; mode: number; size: number; rdev: [number, number]; at: number }[] {
  const text = new TextDecoder("latin1").decode(a);
  const out = [];
  let at = 0;
  for (;;) {
    assert.equal(text.slice(at, at + 6), "070701", `magic at ${at}`);
    const f = (i: number) => parseInt(text.slice(at + 6 + i * 8, at + 14 + i * 8), 16);
    const namesize = f(11), size = f(6);
    const name = text.slice(at + 110, at + 110 + namesize - 1);
    assert.equal(text.charCodeAt(at + 110 + namesize - 1), 0, "names are NUL-terminated");
    out.push({ name, mode: f(1), size, rdev: [f(9), f(10)] as [number, number], at });
    const dataAt = Math.ceil((at + 110 + namesize) / 4) * 4;
    at = Math.ceil((dataAt + size) / 4) * 4;
    if (name === "TRAILER!!!") break;
  }
  assert.equal(at, a.length, "the trailer ends the archive");
  return out;
}

test("newc records: sorted names, 4-byte alignment, types and device numbers, trailer", () => {
  const h = headers(encodeNewc(entries));
  assert.deepEqual(h.map((x) => x.name), ["bin", "bin/hello", "bin/sh", "dev", "dev/console", "TRAILER!!!"]);
  assert.ok(h.every((x) => x.at % 4 === 0));
  assert.deepEqual(h.map((x) => (x.mode & 0o170000).toString(8)), ["40000", "100000", "120000", "40000", "20000", "0"]);
  assert.equal(h[1]!.mode & 0o777, 0o755);
  assert.deepEqual(h[4]!.rdev, [5, 1]);
  assert.equal(h[2]!.size, "busybox".length);
});

test("the same entries in any order give the same bytes", () => {
  assert.deepEqual(encodeNewc([...entries].reverse()), encodeNewc(entries));
});

test("bad paths and duplicates are refused", () => {
  for (const path of ["/abs", "a//b", "a/../b", "", "./x"]) assert.throws(() => encodeNewc([{ kind: "dir", path }]), CpioError, path);
  assert.throws(() => encodeNewc([{ kind: "dir", path: "a" }, { kind: "dir", path: "a" }]), /twice/);
});

const busybox = ["/usr/bin/busybox", "/bin/busybox"].find((b) => spawnSync(b, ["--help"]).status === 0);
test("busybox cpio lists what was written", { skip: busybox ? false : "busybox is not installed (run `vnvdimm setup qemu`)" }, () => {
  const r = spawnSync(busybox!, ["cpio", "-t", "-v"], { input: encodeNewc(entries), encoding: "latin1" });
  assert.equal(r.status, 0, r.stderr);
  const lines = r.stdout.trim().split("\n");
  assert.deepEqual(lines.map((l) => l.split(/\s+/).slice(-1)[0] === "busybox" ? l.split(/\s+/).slice(-3).join(" ") : l.split(/\s+/).at(-1)), ["bin", "bin/hello", "bin/sh -> busybox", "dev", "dev/console"]);
  assert.match(lines[4]!, /^crw-------/);
});
