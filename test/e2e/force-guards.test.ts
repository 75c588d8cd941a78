// Force flags override a refusal about what media hold, never a domain's
// pages: `host init --force` and `pmem reserve --namespace … --force` refuse
// while any domain (running or stopped) or a kept extent holds pages there,
// name the holders, and write nothing.
import { test } from "node:test";
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { readFileSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { cli, ok } from "../helpers/cli.js";
import { reservedHost } from "../helpers/e2e-host.js";

const host = () => reservedHost({ prefix: "force", dimmSize: "256M" });

/** A hash of every host DIMM file: what a refusal must leave as it was. */
function mediaHash(state: string): string {
  const h = createHash("sha256");
  for (const f of readdirSync(join(state, "host")).filter((x) => x.endsWith(".img")).sort()) h.update(readFileSync(join(state, "host", f)));
  return h.digest("hex");
}

test("host init --force refuses while domains (running, stopped or kept) hold pages, naming them, and writes nothing", async () => {
  const { spec, state, cfg } = await host();
  await ok("create", cfg("live", `'size=32M, node=0, namespace=fsdax:d'`), "--state", state);
  await ok("create", cfg("parked", `'size=32M, node=1'`), "--state", state);
  await ok("destroy", "parked", "--state", state);
  const before = mediaHash(state);

  const r = await cli("host", "init", "--force", "--state", state, "--spec", spec);
  assert.equal(r.code, 1, r.err);
  assert.match(r.err, /Refusing to recreate the host: domains hold pages on its NVDIMMs \(live, parked\)/);
  assert.equal(r.err.trim().split("\n").length, 2, "one line and its hint");
  assert.equal(mediaHash(state), before, "nothing written");

  await ok("destroy", "live", "--state", state);
  await ok("delete", "live", "--state", state);
  await ok("delete", "parked", "--keep-data", "--state", state);
  const kept = await cli("host", "init", "--force", "--state", state, "--spec", spec);
  assert.equal(kept.code, 1);
  assert.match(kept.err, /parked\/vnvdimm0 \(kept\)/);

  await ok("reclaim", "--scrub", "--state", state);
  await ok("host", "init", "--force", "--state", state, "--spec", spec);
});

test("pmem reserve --namespace UUID --force refuses a reservation whose pages a domain holds, and writes nothing", async () => {
  const { state, cfg } = await host();
  await ok("create", cfg("vm", `'size=32M, node=0, namespace=raw:d'`), "--state", state);
  const status = JSON.parse(await ok("host", "status", "--json", "--state", state)) as { reservations: { handle: number; namespace: string }[] };
  const [first, second] = status.reservations;
  const before = mediaHash(state);
  const r = await cli("pmem", "reserve", "--namespace", first!.namespace, "--mgmt", "pmem", "--force", "--state", state);
  assert.equal(r.code, 1, r.err);
  assert.match(r.err, /Refusing to reserve namespace .* again: domains hold pages in it \(vm\)/);
  assert.equal(mediaHash(state), before, "nothing written");
  // The other DIMM's reservation holds nothing: --force may rewrite it.
  await ok("pmem", "reserve", "--namespace", second!.namespace, "--mgmt", "pmem", "--force", "--state", state);
  assert.match(await ok("list", "--state", state), /vm\s+\d+\s+running/);
});
