// What `vnvdimm up` sets up before it serves: the emulated host (`host
// init`), pmem reservations on its first two DIMMs (`pmem reserve`), and a
// demo domain on the builtin backend with pre-provisioned namespaces
// (`create`). Each step is the CLI's own command and runs only when asked
// (--init, --demo; both implied for the default ./.vnvdimm playground), and
// only when it is missing: a second run finds everything as it was left.
import { existsSync } from "node:fs";
import { UserError, createCommand, startCommand, hostInitCommand, hostStatusCommand, listCommand, pmemReserveCommand } from "../api/index.js";
import { hostPaths } from "../host/index.js";

export const DEMO_DOMAIN = "demo";

export const DEMO_CONFIG = `# The demo domain \`vnvdimm up\` creates: two vNVDIMMs, one per host node,
# with namespaces the guest finds ready (fsdax with v1.2 labels, raw with v1.1).
name = "${DEMO_DOMAIN}"
memory = 2048
vnvdimms = [ 'size=1G, node=0, namespace=fsdax:data, labels=v1.2',
             'size=512M, node=1, namespace=raw:scratch, labels=v1.1' ]
`;

/** Which DIMM gets which reservation: the frame table on pmem for DIMM 0, in RAM for DIMM 1. */
const DEFAULT_RESERVATIONS = [{ dimm: 0, mgmt: "pmem" as const }, { dimm: 1, mgmt: "ram" as const }];

export interface BootstrapOptions {
  state: string;
  init: boolean;
  demo: boolean;
  onProgress?: (done: number, total: number) => void;
}

interface StatusView { dimms: { index: number; handle: number }[]; reservations: { handle: number; ok: boolean }[] }

/** Runs the missing steps; `say` gets one line per thing done, `warn` one per thing refused. */
export async function bootstrap(o: BootstrapOptions, say: (line: string) => void, warn: (line: string) => void): Promise<void> {
  if (!existsSync(hostPaths(o.state).spec)) {
    if (!o.init) throw new UserError("not-found", `No host in ${o.state}`, "pass --init to create an emulated host there (add --demo for a demo domain)", 2, "host.missing");
    const r = await hostInitCommand.run({ state: o.state, ...(o.onProgress ? { onProgress: o.onProgress } : {}) });
    say(`created host "${r.spec.name}" with ${r.dimms.length} NVDIMMs`);
  }
  const status = await hostStatusCommand.run({ state: o.state }) as StatusView;
  const reserved = (index: number) => {
    const d = status.dimms.find((x) => x.index === index);
    return !d || status.reservations.some((r) => r.handle === d.handle);
  };
  if (o.init) {
    for (const r of DEFAULT_RESERVATIONS.filter((x) => !reserved(x.dimm))) {
      try {
        const out = await pmemReserveCommand.run({ state: o.state, dimm: r.dimm, mgmt: r.mgmt });
        // Where the frame table lives is the boot option's choice (pmem_mgmt=), not the reservation's.
        const data = out.setup.find((x) => x.type === "data");
        const area = r.mgmt === "pmem" ? "a management area on it" : "no management area";
        say(`reserved ${data ? "pmem" : "a namespace"} on NVDIMM ${r.dimm} (${area}; frame table in ${data?.placement ?? "ram"})`);
      } catch (e) {
        if (!(e instanceof UserError)) throw e;
        warn(`NVDIMM ${r.dimm} not reserved: ${e.message}`);
      }
    }
  } else if (status.reservations.length === 0) {
    warn("no pmem is reserved on this host, so no domain can get a vNVDIMM; pass --init, or run `vnvdimm pmem reserve --dimm 0`");
  }
  if (!o.demo) return;
  const demo = (await listCommand.run({ state: o.state })).domains.find((d) => d.name === DEMO_DOMAIN);
  if (demo?.status === "running" && !demo.error) return;
  try {
    // A demo that exists starts as it is (the user may have attached or detached vNVDIMMs since).
    const r = demo ? await startCommand.run({ state: o.state, name: DEMO_DOMAIN }) : await createCommand.run({ state: o.state, config: DEMO_CONFIG, configFile: "<demo>" });
    say(`${r.recreated ? "started" : "created"} domain ${DEMO_DOMAIN} (domid ${r.domid})`);
  } catch (e) {
    if (!(e instanceof UserError)) throw e;
    warn(`domain ${DEMO_DOMAIN} not ${demo ? "started" : "created"}: ${e.message}`);
  }
}
