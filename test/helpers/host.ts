// A small emulated host in a temp state dir, for host and dom0 tests.
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createEmulatedHost, hostDsm, parseMachineSpec, type EmulatedHost } from "../../src/host/index.js";
import { dimmsFromNfit, fileDimmData, type Dsm, type DimmData, type NfitDimm } from "../../src/dom0/index.js";

export function smallHost(nvdimmSize = "256M"): EmulatedHost {
  const dir = mkdtempSync(join(tmpdir(), "vnvdimm-host-"));
  const spec = parseMachineSpec({
    name: "test", sockets: [{ node: 0, ram: "1G" }, { node: 1, ram: "1G" }],
    nvdimms: [{ node: 0, size: nvdimmSize }, { node: 1, size: nvdimmSize }], e820Pmem: true,
  });
  return createEmulatedHost(dir, spec);
}

export function dom0View(host: EmulatedHost): { dimm: NfitDimm; dsm: Dsm; data: DimmData }[] {
  return dimmsFromNfit(host.nfit).map((dimm) => {
    const h = host.dimms.find((d) => d.handle === dimm.handle)!;
    return { dimm, dsm: (r) => hostDsm(host, r), data: fileDimmData(h.path, h.sizeBytes) };
  });
}

export { join };
