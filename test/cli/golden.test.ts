// CLI golden tests: a fixed session of commands on a small emulated host,
// each one's exit status, stdout and stderr compared with a file under
// test/cli/golden/. What depends on the run (the temp directory, random
// UUIDs, timestamps) is normalised first; everything else must match byte
// for byte, so any change to what a user sees fails here.
//
// After an intended change, rewrite the files and review the diff:
//   npm run build && VNVDIMM_UPDATE_GOLDEN=1 node scripts/run-tests.mjs test/cli/golden
import { test } from "node:test";
import assert from "node:assert/strict";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import type { Command } from "commander";
import { buildCli } from "../../src/cli/main.js";
import { cli, normalise } from "./captured.js";

/** The source tree's test/cli/golden (this file runs from dist/test/cli). */
const GOLDEN = join(dirname(fileURLToPath(import.meta.url)), "..", "..", "..", "test", "cli", "golden");
const UPDATE = process.env["VNVDIMM_UPDATE_GOLDEN"] === "1";

const SPEC = { name: "golden", sockets: [{ node: 0, ram: "2G" }, { node: 1, ram: "2G" }], nvdimms: [{ node: 0, size: "1G" }, { node: 1, size: "1G" }] };
const VM1 = `name = "vm1"\nmemory = 1024\nvnvdimms = [ 'size=64M, node=0, namespace=fsdax:data, labels=v1.2',\n             'size=32M, node=1, namespace=sector:logs, labels=v1.1' ]\n`;
const BAD = `name = "bad"\nmemory = 1024\nvnvdimms = [ 'size=64M, nmespace=raw' ]\n`;

/** The session, in order: [golden file name, argv without --state]. */
const SESSION: [string, string[]][] = [
  ["help", ["--help"]],
  ["help-up", ["up", "--help"]],
  ["help-create", ["create", "--help"]],
  ["help-pmem-reserve", ["pmem", "reserve", "--help"]],
  ["host-init", ["host", "init", "--spec", "<DIR>/machine.json"]],
  ["host-init-again", ["host", "init", "--spec", "<DIR>/machine.json"]],
  ["pmem-reserve-0", ["pmem", "reserve", "--dimm", "0"]],
  ["pmem-reserve-1.json", ["pmem", "reserve", "--dimm", "1", "--mgmt", "ram", "--json"]],
  ["host-status", ["host", "status"]],
  ["host-status.json", ["host", "status", "--json"]],
  ["pmem-list", ["pmem", "list"]],
  ["list-empty", ["list"]],
  ["create-vm1", ["create", "<DIR>/vm1.cfg"]],
  ["create-vm1-again", ["create", "<DIR>/vm1.cfg"]],
  ["create-bad", ["create", "<DIR>/bad.cfg"]],
  ["create-bad.json", ["create", "<DIR>/bad.cfg", "--json"]],
  ["list", ["list"]],
  ["list.json", ["list", "--json"]],
  ["show", ["show", "vm1"]],
  ["show.json", ["show", "vm1", "--json"]],
  ["show-nosuch.json", ["show", "nosuch", "--json"]],
  ["guest-namespaces", ["guest", "namespaces", "vm1"]],
  ["guest-namespaces.json", ["guest", "namespaces", "vm1", "--json"]],
  ["attach.json", ["attach", "vm1", "size=32M, namespace=raw:scratch", "--json"]],
  ["pmem-map", ["pmem", "map"]],
  ["pmem-map.json", ["pmem", "map", "--json"]],
  ["detach", ["detach", "vm1", "vnvdimm2"]],
  ["delete-running", ["delete", "vm1"]],
  ["destroy-nosuch", ["destroy", "nosuch"]],
  ["mce-refused", ["host", "mce", "5"]],
  ["bad-option", ["list", "--colour"]],
  ["bad-option.json", ["list", "--colour", "--json"]],
  ["missing-argument", ["attach", "vm1"]],
  ["destroy", ["destroy", "vm1"]],
  ["create-restart", ["create", "<DIR>/vm1.cfg"]],
  ["destroy-again", ["destroy", "vm1", "--json"]],
  ["create-changed", ["create", "<DIR>/vm1-bigger.cfg"]],
  ["start", ["start", "vm1"]],
  ["start-running", ["start", "vm1"]],
  ["destroy-after-start", ["destroy", "vm1"]],
  ["delete", ["delete", "vm1"]],
  ["reclaim", ["reclaim"]],
  ["inspect-host-dimm", ["inspect", "labels", "<STATE>/host/nvdimm0.img", "--nfit", "<STATE>/host/firmware/NFIT.bin"]],
];

test("CLI golden session: every output as a user sees it", { timeout: 120_000 }, async () => {
  const dir = mkdtempSync(join(tmpdir(), "vnvdimm-golden-"));
  const state = join(dir, "state");
  writeFileSync(join(dir, "machine.json"), JSON.stringify(SPEC));
  writeFileSync(join(dir, "vm1.cfg"), VM1);
  writeFileSync(join(dir, "bad.cfg"), BAD);
  writeFileSync(join(dir, "vm1-bigger.cfg"), VM1.replace("memory = 1024", "memory = 2048").replace("size=64M", "size=128M"));
  mkdirSync(GOLDEN, { recursive: true });
  const mismatches: string[] = [];
  for (const [name, argv] of SESSION) {
    const args = argv.map((a) => a.replace("<DIR>", dir).replace("<STATE>", state));
    const stateful = !args.includes("--help") && args[0] !== "inspect";
    const r = await cli(stateful ? [...args, "--state", state] : args);
    const text = normalise([
      `$ vnvdimm ${argv.join(" ")}`,
      `exit ${r.code}`,
      ...(r.out ? ["--- stdout", r.out.replace(/\n$/, "")] : []),
      ...(r.err ? ["--- stderr", r.err.replace(/\n$/, "")] : []),
    ].join("\n") + "\n", dir);
    const file = join(GOLDEN, `${name}.txt`);
    if (UPDATE) { writeFileSync(file, text); continue; }
    if (!existsSync(file)) { mismatches.push(`${name}: no golden file (run with VNVDIMM_UPDATE_GOLDEN=1)`); continue; }
    const want = readFileSync(file, "utf8");
    if (want !== text) mismatches.push(`${name}:\n--- golden\n${want}--- now\n${text}`);
  }
  const stale = readdirSync(GOLDEN).filter((f) => !SESSION.some(([n]) => `${n}.txt` === f));
  assert.deepEqual(stale, [], "golden files no session step writes");
  assert.deepEqual(mismatches, [], "outputs differ from test/cli/golden (VNVDIMM_UPDATE_GOLDEN=1 rewrites them; review the diff)");
});

function leaves(c: Command, path: string[] = []): { path: string[]; cmd: Command }[] {
  const subs = c.commands as Command[];
  if (!subs.length) return [{ path, cmd: c }];
  return subs.flatMap((s) => leaves(s, [...path, s.name()]));
}

test("every command has --json, a description and examples in its help", () => {
  const program = buildCli({ out: () => undefined, err: () => undefined }, () => undefined);
  const all = leaves(program);
  assert.ok(all.length >= 20, `${all.length} commands`);
  for (const { path, cmd } of all) {
    const name = `vnvdimm ${path.join(" ")}`;
    assert.ok(cmd.options.some((o) => o.long === "--json"), `${name} has --json`);
    assert.ok(cmd.description().length > 10, `${name} has a description`);
    let help = "";
    cmd.configureOutput({ writeOut: (t) => { help += t; } });
    cmd.outputHelp();
    assert.match(help, /\nExamples?( config)?:\n {2}vnvdimm /, `${name} has examples`);
  }
  for (const parent of ["host", "pmem", "guest", "inspect"]) {
    const c = (program.commands as Command[]).find((x) => x.name() === parent)!;
    let help = "";
    c.configureOutput({ writeOut: (t) => { help += t; } });
    c.outputHelp();
    assert.match(help, /\nExamples:\n {2}vnvdimm /, `vnvdimm ${parent} has examples`);
  }
});
