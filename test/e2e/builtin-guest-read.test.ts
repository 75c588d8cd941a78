// `vnvdimm guest read … > file` writes the guest's bytes exactly, through
// the real binary, both when it runs the route itself and when a running
// `vnvdimm up` serves the state directory. (It decoded them as latin1 and
// wrote UTF-8: 4096 bytes came out as more.)
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { BIN, startDaemon } from "../api/daemon.js";
import { findDaemon } from "../../src/cli/transport.js";

const vnv = (...args: string[]) => spawnSync(process.execPath, [BIN, ...args], { maxBuffer: 1 << 24 });

test("guest read to stdout writes the exact bytes, in process and through the daemon", { timeout: 180_000 }, async () => {
  const dir = mkdtempSync(join(tmpdir(), "vnvdimm-binread-"));
  const spec = join(dir, "machine.json");
  writeFileSync(spec, JSON.stringify({ name: "b", sockets: [{ node: 0, ram: "1G" }], nvdimms: [{ node: 0, size: "512M" }] }));
  const state = join(dir, "state");
  const cfg = join(dir, "b.cfg");
  writeFileSync(cfg, `name = "b"\nmemory = 256\nvnvdimms = [ 'size=32M, namespace=raw:data' ]\n`);
  for (const args of [["host", "init", "--spec", spec], ["pmem", "reserve", "--dimm", "0"], ["create", cfg]]) {
    const r = vnv(...args, "--state", state);
    assert.equal(r.status, 0, r.stderr.toString());
  }

  // Every byte value, 0x80–0xff included, then random ones.
  const bytes = Buffer.concat([Buffer.from(Array.from({ length: 256 }, (_, i) => i)), randomBytes(4096 - 256)]);
  const input = join(dir, "in.bin");
  writeFileSync(input, bytes);
  const w = vnv("guest", "write", "b", "data", "0x1000", input, "--state", state);
  assert.equal(w.status, 0, w.stderr.toString());

  const direct = vnv("guest", "read", "b", "data", "0x1000", "4096", "--state", state);
  assert.equal(direct.status, 0, direct.stderr.toString());
  assert.equal(direct.stdout.length, 4096);
  assert.ok(direct.stdout.equals(bytes), "in process: the bytes read are the bytes written");

  // Through a shell redirection, as a user would save them.
  const out = join(dir, "out.bin");
  const sh = spawnSync("sh", ["-c", `"$0" "$1" guest read b data 0x1000 4096 --state "$2" > "$3"`, process.execPath, BIN, state, out]);
  assert.equal(sh.status, 0, sh.stderr.toString());
  assert.ok(readFileSync(out).equals(bytes), "redirected to a file");

  const d = await startDaemon(state);
  try {
    assert.equal((await findDaemon(state))?.pid, d.child.pid, "the CLI goes through the daemon");
    const served = vnv("guest", "read", "b", "data", "0x1000", "4096", "--state", state);
    assert.equal(served.status, 0, served.stderr.toString());
    assert.ok(served.stdout.equals(bytes), "through the daemon: the same bytes");
  } finally {
    await d.stop();
  }
});
