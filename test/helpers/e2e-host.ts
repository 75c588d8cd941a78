// A small two-node host in a temp state dir, both DIMMs reserved, through
// the CLI in this process; `cfg` writes a domain config with the vNVDIMMs given.
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before } from "node:test";
import { readLedger } from "../../src/toolstack/index.js";
import { cli, ok } from "./cli.js";

export interface E2eHost { dir: string; spec: string; state: string; cfg: (name: string, vnvdimms: string) => string }

export async function reservedHost(o: { prefix: string; dimmSize: string }): Promise<E2eHost> {
  const dir = mkdtempSync(join(tmpdir(), `vnvdimm-${o.prefix}-`));
  const spec = join(dir, "machine.json");
  writeFileSync(spec, JSON.stringify({ name: o.prefix, sockets: [{ node: 0, ram: "1G" }, { node: 1, ram: "1G" }], nvdimms: [{ node: 0, size: o.dimmSize }, { node: 1, size: o.dimmSize }] }));
  const state = join(dir, "state");
  await ok("host", "init", "--state", state, "--spec", spec);
  await ok("pmem", "reserve", "--dimm", "0", "--state", state);
  await ok("pmem", "reserve", "--dimm", "1", "--state", state);
  const cfg = (name: string, vnvdimms: string) => {
    const p = join(dir, `${name}.cfg`);
    writeFileSync(p, `name = "${name}"\nmemory = 512\nvnvdimms = [ ${vnvdimms} ]\n`);
    return p;
  };
  return { dir, spec, state, cfg };
}

/**
 * The reserved host of a real-guest test file: made before its tests (unless
 * they are skipped), and no QEMU left running after them, whatever failed.
 * Its fields read the host made in `before`.
 */
export function qemuTestHost(o: { prefix: string; dimmSize: string }, skip: string | false): E2eHost {
  let h: E2eHost | undefined;
  before(async () => {
    if (!skip) h = await reservedHost(o);
  });
  after(async () => {
    if (!h) return;
    for (const d of readLedger(h.state).domains.filter((x) => x.status === "running")) await cli("destroy", d.name, "--state", h.state);
  });
  const made = (): E2eHost => {
    if (!h) throw new Error("the test host is made in before()");
    return h;
  };
  return { get dir() { return made().dir; }, get spec() { return made().spec; }, get state() { return made().state; }, cfg: (name, vnvdimms) => made().cfg(name, vnvdimms) };
}
