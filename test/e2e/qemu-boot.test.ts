// Issue 12 §2 and §4 with real Linux guests: `create` returns once the guest
// has booted, or fails with the console's last lines and leaves the domain
// stopped on its held extents; two qemu domains run at once, and `pmem list`,
// `list` and `host mce` see both. One failed boot (a kernel that panics
// before /init) and two full boots, which run side by side.
import { test } from "node:test";
import assert from "node:assert/strict";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { listDomains, readLedger } from "../../src/toolstack/index.js";
import { qemuDomainPaths, runningPid } from "../../src/backends/index.js";
import { qemuSkip } from "../helpers/qemu.js";
import { cli, ok } from "../helpers/cli.js";
import { qemuTestHost } from "../helpers/e2e-host.js";

const skip = qemuSkip();
const h = qemuTestHost({ prefix: "qemu-boot", dimmSize: "512M" }, skip);
const st = () => ["--state", h.state];

/** A 256 MiB qemu guest with one small raw vNVDIMM. */
function config(name: string): string {
  const p = join(h.dir, `${name}.cfg`);
  writeFileSync(p, `name = "${name}"\nbackend = "qemu"\nmemory = 256\nvnvdimms = [ 'size=32M, namespace=raw:${name}' ]\n`);
  return p;
}

test("a guest that cannot boot: create fails with the console's last lines, and the domain stays stopped on its held extents", { skip, timeout: 300_000 }, async () => {
  // The kernel finds no such init and panics (panic=-1 with -no-reboot: QEMU exits).
  process.env["VNVDIMM_TEST_KERNEL_APPEND"] = "rdinit=/vnvdimm-no-such-init";
  let r;
  try {
    r = await cli("create", config("bad"), "--json", ...st());
  } finally {
    delete process.env["VNVDIMM_TEST_KERNEL_APPEND"];
  }
  assert.equal(r.code, 1, r.err);
  const lines = r.err.trimEnd().split("\n");
  assert.match(lines[0]!, /^vnvdimm: The guest of domain bad did not boot: QEMU exited \d+ s after it started$/);
  const quoted = lines.filter((l) => l.startsWith("  | "));
  assert.ok(quoted.length > 0 && quoted.length <= 8, r.err);
  assert.ok(quoted.some((l) => /Kernel panic/.test(l)), `the console's panic is quoted:\n${r.err}`);
  // --json carries the same lines, exact, for scripts.
  const body = JSON.parse(r.out) as { reason: string; detail: string[] };
  assert.equal(body.reason, "qemu.boot");
  assert.deepEqual(body.detail.map((l) => `  | ${l}`), quoted);
  assert.match(lines.at(-1)!, /^ {2}hint: the domain is stopped on its extents, which stay held; see .*console\.log, then `vnvdimm start bad`$/);
  const d = readLedger(h.state).domains.find((x) => x.name === "bad")!;
  assert.deepEqual([d.status, d.extents.map((e) => e.state)], ["stopped", ["held"]]);
  assert.equal(runningPid(qemuDomainPaths(h.state, "bad")), null);
  assert.equal(listDomains(h.state).domains.find((x) => x.name === "bad")?.status, "stopped");
  // Fixed (the parameter is gone), it starts on the same pages; --no-wait answers before the guest is up.
  const started = JSON.parse(await ok("start", "bad", "--no-wait", "--json", ...st())) as { recreated: boolean; qemu?: { bootMs?: number } };
  assert.deepEqual([started.recreated, started.qemu?.bootMs], [true, undefined]);
  await ok("destroy", "bad", ...st());
  await ok("delete", "bad", ...st());
});

test("two qemu domains run at once: both guests answer, pmem list counts both, and host mce names the right owner", { skip, timeout: 600_000 }, async () => {
  const a = await ok("create", config("a"), ...st());
  assert.match(a, /QEMU pid \d+ \((tcg|kvm)\); the guest booted in \d+ s; guest console: /, "create returned after the boot");
  await ok("create", config("b"), ...st());
  assert.ok(runningPid(qemuDomainPaths(h.state, "a")) && runningPid(qemuDomainPaths(h.state, "b")), "both QEMUs run");
  for (const name of ["a", "b"]) {
    const out = await ok("guest", "exec", name, ...st(), "--", "sh", "-c", "ndctl list -N | grep -o '\"name\":\"[ab]\"'");
    assert.equal(out.trim(), `"name":"${name}"`, `guest ${name} sees its own namespace`);
  }
  const doms = listDomains(h.state).domains;
  assert.deepEqual(doms.map((d) => [d.name, d.status]), [["a", "running"], ["b", "running"]]);
  const held = doms.reduce((n, d) => n + d.vnvdimms.reduce((m, v) => m + v.nrPages, 0), 0);
  const regions = JSON.parse(await ok("pmem", "list", "--json", ...st())) as { type: string; ownedPages?: number }[];
  assert.equal(regions.filter((x) => x.type === "data").reduce((n, x) => n + (x.ownedPages ?? 0), 0), held, "every page of both domains is owned");

  // A page of each: the MCE names its own domain (on_mce = "stop" stops that one only).
  for (const [name, other] of [["a", "b"], ["b", undefined]] as const) {
    const v = listDomains(h.state).domains.find((d) => d.name === name)!.vnvdimms[0]!;
    const mce = await ok("host", "mce", `0x${(v.smfn + 16).toString(16)}`, ...st());
    assert.match(mce, new RegExp(`domain ${name} \\(domid \\d+\\) owned it; on_mce = "stop": the domain was stopped`));
    assert.equal(listDomains(h.state).domains.find((d) => d.name === name)?.status, "stopped");
    if (other) {
      assert.equal(listDomains(h.state).domains.find((d) => d.name === other)?.status, "running", `${other} runs on`);
      assert.equal((await ok("guest", "exec", other, ...st(), "--", "echo", "still")).trim(), "still");
    }
  }
});
