// The host's memory of its reservations is written by any boot that may
// write, and boots run at once (CLI writers without a living host): the file
// must always read back whole, whoever wrote last.
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { readKnownReservations } from "../../src/host/index.js";

const HOST = fileURLToPath(new URL("../../src/host/index.js", import.meta.url));

test("eight processes remembering reservations at once never leave a torn file", async () => {
  const state = mkdtempSync(join(tmpdir(), "vnvdimm-known-"));
  // Each writer remembers its own reservations one by one, with names long enough that writes differ in size.
  const writer = (n: number) => `
    const { rememberReservations } = await import(${JSON.stringify(HOST)});
    for (let i = 0; i < 60; i++) rememberReservations(${JSON.stringify(state)}, [{ uuid: "w${n}-" + i + "-" + "x".repeat(${n} * 40), handle: ${n}, namespace: null, dpa: BigInt(i) << 30n, sizeBytes: 1n << 20n }]);`;
  const runs = Array.from({ length: 8 }, (_, n) => new Promise<string>((resolve) => {
    const c = spawn(process.execPath, ["--input-type=module", "-e", writer(n)], { stdio: ["ignore", "ignore", "pipe"] });
    let err = "";
    c.stderr.on("data", (b: Buffer) => { err += b.toString(); });
    c.on("exit", () => resolve(err));
  }));
  let reads = 0;
  let done = false;
  const all = Promise.all(runs).finally(() => { done = true; });
  while (!done) {
    readKnownReservations(state); // throws host.corrupt on a torn file
    reads++;
    await new Promise((r) => setImmediate(r));
  }
  assert.deepEqual((await all).filter((e) => e !== ""), [], "no writer failed");
  assert.ok(reads > 0);
  readKnownReservations(state);
});
