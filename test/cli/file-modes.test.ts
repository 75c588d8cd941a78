// The state directory is private: it holds every guest's data. After host
// init, reserve, create and an MCE, every directory under it is 0700 and every
// file 0600 (the DIMM media, the firmware tables, the ledger, the lock, the
// boot options and the bad-block list).
import { test } from "node:test";
import assert from "node:assert/strict";
import { chmodSync, lstatSync, mkdtempSync, readdirSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, relative } from "node:path";
import { ok } from "../helpers/cli.js";

const SMALL = { name: "t", sockets: [{ node: 0, ram: "1G" }, { node: 1, ram: "1G" }], nvdimms: [{ node: 0, size: "256M" }, { node: 1, size: "256M" }] };

function modes(dir: string, root = dir, out: Record<string, string> = {}): Record<string, string> {
  const st = lstatSync(dir);
  out[relative(root, dir) || "."] = (st.mode & 0o777).toString(8);
  if (st.isDirectory()) for (const n of readdirSync(dir)) modes(join(dir, n), root, out);
  return out;
}

test("host init + reserve + create + mce: directories 0700, files 0600", async () => {
  const tmp = mkdtempSync(join(tmpdir(), "vnvdimm-modes-"));
  const state = join(tmp, "state");
  const spec = join(tmp, "machine.json");
  writeFileSync(spec, JSON.stringify(SMALL));
  const cfg = join(tmp, "vm1.cfg");
  writeFileSync(cfg, `name = "vm1"\nmemory = 1024\nvnvdimms = [ 'size=64M, namespace=fsdax:data' ]\n`);
  await ok("host", "init", "--state", state, "--spec", spec);
  await ok("pmem", "reserve", "--dimm", "0", "--state", state);
  await ok("create", cfg, "--state", state);
  await ok("host", "mce", "0x140000", "--state", state);
  const m = modes(state);
  for (const f of ["host/nvdimm0.img", "host/nvdimm1.img", "host/firmware/NFIT.bin", "host/firmware/E820.bin", "host/machine.json", "host/boot.json", "host/badblocks.json", "toolstack/ledger.json", "toolstack/ledger.journal"]) {
    assert.ok(f in m, `${f} exists`);
  }
  const wrong = Object.entries(m).filter(([p, mode]) => mode !== (lstatSync(join(state, p)).isDirectory() ? "700" : "600"));
  assert.deepEqual(wrong, [], "every directory 0700, every file 0600");
});

test("host init --force tightens media and host/ left wider by an older version", async () => {
  const tmp = mkdtempSync(join(tmpdir(), "vnvdimm-modes-"));
  const state = join(tmp, "state");
  const spec = join(tmp, "machine.json");
  writeFileSync(spec, JSON.stringify(SMALL));
  await ok("host", "init", "--state", state, "--spec", spec);
  chmodSync(join(state, "host"), 0o755);
  chmodSync(join(state, "host", "nvdimm0.img"), 0o644);
  await ok("host", "init", "--force", "--state", state, "--spec", spec);
  assert.equal(modes(state)["host"], "700");
  assert.equal(modes(state)["host/nvdimm0.img"], "600");
});
