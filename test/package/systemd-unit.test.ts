// contrib/vnvdimm.service, the example unit for the living host (README
// "Run it as a service"), checked by systemd's own `systemd-analyze verify`:
// every directive known, every value valid. verify also wants ExecStart's
// binary to exist, so the copy it checks names this checkout's bin/vnvdimm.
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { readFileSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { tempDir } from "../api/daemon.js";

const ROOT = join(dirname(fileURLToPath(import.meta.url)), "..", "..", "..");
const UNIT = readFileSync(join(ROOT, "contrib", "vnvdimm.service"), "utf8");
const EXEC = "ExecStart=/usr/local/bin/vnvdimm up --state /var/lib/vnvdimm";

const present = spawnSync("systemd-analyze", ["--version"]).status === 0;
const skip = present || process.env["CI"] ? false : "systemd-analyze is not installed (Debian's systemd package has it)";

test("the example unit runs `vnvdimm up --state /var/lib/vnvdimm`", () => {
  assert.ok(UNIT.split("\n").includes(EXEC), UNIT);
  assert.match(UNIT, /^StateDirectory=vnvdimm$/m);
  assert.match(UNIT, /^WantedBy=multi-user\.target$/m);
});

test("systemd-analyze verify accepts the example unit, without a warning", { skip }, () => {
  const dir = tempDir("unit");
  try {
    const unit = join(dir, "vnvdimm.service");
    writeFileSync(unit, UNIT.replace(EXEC, `ExecStart=${join(ROOT, "bin", "vnvdimm")} up --state /var/lib/vnvdimm`));
    const r = spawnSync("systemd-analyze", ["verify", unit], { encoding: "utf8", env: { ...process.env, SYSTEMD_LOG_LEVEL: "notice" } });
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.stderr.trim(), "", "systemd-analyze verify warned");
    // verify does check: a misspelt directive is reported.
    writeFileSync(unit, readFileSync(unit, "utf8").replace("KillMode=", "KillMod="));
    assert.match(spawnSync("systemd-analyze", ["verify", unit], { encoding: "utf8" }).stderr, /Unknown key 'KillMod'/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
