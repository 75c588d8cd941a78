// The qemu side of an honest lifecycle (issue 12 §2): QEMU gets the vcpus of
// the config (not always -smp 1), and a stopped domain started again with an
// edited config (create) or as it is (start) gets that config's memory and
// vcpus. The argv is checked in QEMU's run record without waiting for boots
// (a TCG boot costs tens of seconds); one real boot shows the guest agrees.
import { test } from "node:test";
import assert from "node:assert/strict";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { qemuDomainPaths, readRunRecord } from "../../src/backends/index.js";
import { qemuSkip } from "../helpers/qemu.js";
import { ok } from "../helpers/cli.js";
import { qemuTestHost } from "../helpers/e2e-host.js";

const skip = qemuSkip();
const h = qemuTestHost({ prefix: "qemu-lifecycle", dimmSize: "512M" }, skip);
const st = () => ["--state", h.state];

function config(body: string): string {
  const p = join(h.dir, `q-${Math.random().toString(36).slice(2)}.cfg`);
  writeFileSync(p, `name = "q"\nbackend = "qemu"\n${body}\nvnvdimms = [ 'size=32M, namespace=raw:x' ]\n`);
  return p;
}

/** QEMU's -smp and the RAM of its -m, from the run record of its last start. */
function qemuGot(): { smp: string; m: string } {
  const argv = readRunRecord(qemuDomainPaths(h.state, "q"))!.argv;
  const at = (flag: string) => argv[argv.indexOf(flag) + 1]!;
  return { smp: at("-smp"), m: at("-m").split(",")[0]! };
}

test("vcpus reaches QEMU, and a restart takes the edited config's memory and vcpus", { skip, timeout: 300_000 }, async () => {
  await ok("create", config("memory = 192"), "--no-wait", ...st());
  assert.deepEqual(qemuGot(), { smp: "1", m: "192M" }, "no vcpus = means one, as xl");
  await ok("destroy", "q", ...st());

  await ok("create", config("memory = 256\nvcpus = 2"), ...st());
  assert.deepEqual(qemuGot(), { smp: "2", m: "256M" });
  // The one real boot: the guest sees what the config asked for.
  const r = await ok("guest", "exec", "q", ...st(), "--", "sh", "-c", "nproc; sed -n 's/^MemTotal: *\\([0-9]*\\) kB/\\1/p' /proc/meminfo");
  const [cpus, memKiB] = r.trim().split("\n").map(Number);
  assert.equal(cpus, 2);
  // The kernel keeps about 110 MiB of a guest this size (its image, the device-memory range): 256 MiB leaves ~140, 192 MiB ~80.
  assert.ok(memKiB! > 128 * 1024 && memKiB! <= 256 * 1024, `MemTotal ${memKiB} kB for memory = 256`);
  await ok("destroy", "q", ...st());

  await ok("start", "q", "--no-wait", ...st());
  assert.deepEqual(qemuGot(), { smp: "2", m: "256M" }, "start uses the stored config");
  await ok("destroy", "q", ...st());
});
