// The QMP client against a real QEMU (machine "none": no guest, starts in milliseconds).
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { mkdtempSync, existsSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { QmpClient, QmpError, qemuVersion } from "../../../src/backends/index.js";

const skip = qemuVersion() ? false : "qemu-system-x86_64 is not installed (run `vnvdimm setup qemu`)";

test("greeting, capabilities, commands, errors by class, events, and quit", { skip }, async () => {
  const dir = mkdtempSync(join(tmpdir(), "vnvdimm-qmp-"));
  const sock = join(dir, "qmp.sock");
  const qemu = spawn("qemu-system-x86_64", ["-machine", "none", "-display", "none", "-nodefaults", "-qmp", `unix:${sock},server=on,wait=off`], { stdio: "ignore" });
  const exited = new Promise((r) => qemu.on("exit", r));
  try {
    for (let i = 0; i < 200 && !existsSync(sock); i++) await sleep(10);
    const q = await QmpClient.connect(sock);
    const status = await q.execute<{ status: string; running: boolean }>("query-status");
    assert.equal(typeof status.status, "string");
    await assert.rejects(q.execute("no-such-command"), (e: unknown) => e instanceof QmpError && e.errorClass === "CommandNotFound");
    await assert.rejects(q.execute("object-add", { "qom-type": "memory-backend-file", id: "m", size: 4096, "mem-path": join(dir, "missing", "f") }), QmpError);
    await q.execute("stop");
    assert.equal((await q.waitEvent("STOP")).event, "STOP");
    await q.execute("quit");
    await exited;
    await assert.rejects(q.execute("query-status"), (e: unknown) => e instanceof QmpError && e.errorClass === "Disconnected");
    q.close();
  } finally {
    qemu.kill("SIGKILL");
  }
});

test("no server: a one-line error, not a hang", async () => {
  await assert.rejects(QmpClient.connect(join(tmpdir(), "vnvdimm-no-such.sock"), 2000), (e: unknown) => e instanceof QmpError && /cannot connect/.test(e.message));
});
