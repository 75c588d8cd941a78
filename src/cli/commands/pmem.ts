// `vnvdimm pmem list|map|setup-mgmt|setup-data|reserve`, like xl pmem-list and xl pmem-setup.
import { Option, type Command as Cli } from "commander";
import { ROUTE_META, UserError } from "../../api/client.js";
import type { MapDimm, RegionRow } from "../../api/index.js";
import { hexn, human, table } from "../table.js";
import { call } from "../transport.js";
import { examples, intArg, mgmtArg, print, stateful, where, type Ctx } from "./shared.js";

function renderRegions(rows: RegionRow[]): string {
  if (!rows.length) return "  (none)";
  return table(["type", "smfn", "emfn", "pxm", "size", "mgmt", "free/owned/broken"], rows.map((r) => [
    r.type, hexn(r.smfn), hexn(r.emfn), r.pxm ?? "-", human(BigInt(r.emfn - r.smfn) * 4096n),
    r.type === "data" ? (r.mgmtSmfn != null ? `${hexn(r.mgmtSmfn)}-${hexn(r.mgmtEmfn!)}` : `ram`) : "-",
    r.type === "data" ? `${r.freePages}/${r.ownedPages}/${r.brokenPages}` : "-",
  ]));
}

function renderMap(dimms: MapDimm[]): string {
  return dimms.map((d) => [
    `NVDIMM ${d.index} (node ${d.node}, handle ${hexn(d.handle)}, MFN ${hexn(d.smfn)}-${hexn(d.smfn + d.nrPages)}, ${human(d.sizeBytes)} + ${human(d.labelSizeBytes)} label area)`,
    table(["kind", "smfn", "pages", "offset", "size", "what"], d.segments.map((s) => [
      s.kind, s.smfn === null ? "-" : hexn(s.smfn), s.nrPages, hexn(s.offset), human(s.bytes),
      s.kind === "extent" ? `${s.domain}/${s.vnvdimm} (${s.status})` : s.kind === "other" ? `${s.name || s.namespace || "-"} (${s.content})` : s.status ?? "",
    ])),
    ...(d.broken.length ? [`  broken pages: ${d.broken.map((b) => hexn(b.mfn)).join(" ")}`] : []),
  ].join("\n")).join("\n\n");
}

export function registerPmem(program: Cli, ctx: Ctx): void {
  const pmem = program.command("pmem").description("Host persistent memory for the hypervisor")
    .addHelpText("after", examples("vnvdimm pmem reserve --dimm 0", "vnvdimm pmem list", "vnvdimm pmem map"));

  stateful(pmem.command("list"))
    .description(ROUTE_META.listPmemRegions.summary)
    .option("-r, --raw", "raw regions only", false).option("-m, --mgmt", "management regions only", false).option("-d, --data", "data regions only", false)
    .addHelpText("after", examples("vnvdimm pmem list", "vnvdimm pmem list --data --json"))
    .action(async (o: { state?: string; json: boolean; raw: boolean; mgmt: boolean; data: boolean }) => {
      const types = [...(o.raw ? ["raw"] : []), ...(o.mgmt ? ["mgmt"] : []), ...(o.data ? ["data"] : [])];
      const r = await call("listPmemRegions", types.length ? { types: types.join(",") } : {}, where(ctx, o));
      print(ctx, o.json, r.regions, () => renderRegions(r.regions));
    });

  stateful(pmem.command("map"))
    .description(ROUTE_META.getPmemMap.summary)
    .addHelpText("after", examples("vnvdimm pmem map", "vnvdimm pmem map --json | jq '.dimms[0].segments'"))
    .action(async (o: { state?: string; json: boolean }) => {
      const r = await call("getPmemMap", {}, where(ctx, o));
      print(ctx, o.json, r, () => renderMap(r.dimms));
    });

  stateful(pmem.command("setup-mgmt").argument("<smfn>", "first MFN", intArg).argument("<emfn>", "MFN after the last", intArg))
    .description("Set up a management region (the pmem_setup hypercall; lasts until the next boot)")
    .addHelpText("after", examples("vnvdimm pmem setup-mgmt 0x240000 0x240200"))
    .action(async (smfn: number, emfn: number, o: { state?: string; json: boolean }) => {
      const r = await call("setupPmem", { type: "mgmt", smfn, emfn }, where(ctx, o));
      print(ctx, o.json, r, () => `Set up ${r.region.type} region ${hexn(smfn)}-${hexn(emfn)} (until the next boot)\n${renderRegions(r.regions)}`);
    });

  stateful(pmem.command("setup-data").argument("<smfn>", "first MFN", intArg).argument("<emfn>", "MFN after the last", intArg)
    .argument("<mgmt_smfn>", "its management region's first MFN", intArg).argument("<mgmt_emfn>", "its management region's end MFN", intArg))
    .description("Set up a data region with its management region (pmem_setup; lasts until the next boot)")
    .addHelpText("after", "\nThe regions last until the living host stops (`vnvdimm host stop`), as in Xen until a reboot: use `pmem reserve` to persist.\n" +
      examples("vnvdimm pmem setup-data 0x240400 0x248000 0x240000 0x240200"))
    .action(async (smfn: number, emfn: number, mgmtSmfn: number, mgmtEmfn: number, o: { state?: string; json: boolean }) => {
      const r = await call("setupPmem", { type: "data", smfn, emfn, mgmtSmfn, mgmtEmfn }, where(ctx, o));
      print(ctx, o.json, r, () => `Set up data region ${hexn(smfn)}-${hexn(emfn)} (until the next boot)\n${renderRegions(r.regions)}`);
    });

  stateful(pmem.command("forget").argument("<uuid>", "the lost reservation's uuid, as `vnvdimm host status` names it"))
    .description(ROUTE_META.forgetReservation.summary)
    .addHelpText("after", "\nNothing on the media changes. Only the host's memory that the reservation existed is dropped.\n" + examples("vnvdimm pmem forget 7d8e2c51-0b9a-4d43-9a42-93c1f5e0b6aa"))
    .action(async (uuid: string, o: { state?: string; json: boolean }) => {
      const r = await call("forgetReservation", { uuid }, where(ctx, o));
      print(ctx, o.json, r, () => `Forgot lost reservation ${r.uuid}; the media were not touched`);
    });

  stateful(pmem.command("reserve"))
    .description(ROUTE_META.reservePmem.summary)
    .option("--namespace <uuid|name>", "reserve this existing namespace")
    .addOption(new Option("--dimm <n>", "reserve free space on host NVDIMM n (labels and a namespace are created if needed)").argParser(intArg))
    .addOption(new Option("--mgmt <where>", "set a management area aside on pmem for the frame table, or keep it in ram").default("pmem").argParser(mgmtArg))
    .addOption(new Option("--labels <version>", "label version when the DIMM has none").choices(["1.1", "1.2"]).default("1.2"))
    .option("--force", "reserve even if the namespace holds data, an info block, a filesystem or a foreign reservation (it is lost)", false)
    .addHelpText("after", "\nThe record persists: the control domain sets the region up again at every boot.\n" +
      examples("vnvdimm pmem reserve --dimm 0", "vnvdimm pmem reserve --namespace 4dafd0b8-e650-47bc-9af2-8b5bd46fd3db --mgmt ram"))
    .action(async (o: { state?: string; json: boolean; namespace?: string; dimm?: number; mgmt: "ram" | "pmem"; labels: "1.1" | "1.2"; force: boolean }) => {
      if ((o.namespace === undefined) === (o.dimm === undefined)) throw new UserError("usage", "pmem reserve needs exactly one of --namespace or --dimm", "e.g. vnvdimm pmem reserve --dimm 0");
      const r = await call("reservePmem", { mgmt: o.mgmt, force: o.force, labels: o.labels, ...(o.namespace ? { namespace: o.namespace } : {}), ...(o.dimm !== undefined ? { dimm: o.dimm } : {}) }, where(ctx, o));
      print(ctx, o.json, r, () => [
        r.alreadyReserved ? `Namespace ${r.namespace.uuid} was already reserved; nothing written` : `Reserved namespace ${r.namespace.uuid}${r.namespace.created ? " (created)" : ""} on DIMM handle ${hexn(r.handle)}`,
        `  management area: ${r.record.mgmtSize ? `${human(r.record.mgmtSize)} at +${hexn(r.record.mgmtOffset)}` : "none (frame tables in RAM)"}`,
        `  data area:       ${human(r.record.dataSize)} at +${hexn(r.record.dataOffset)}`,
        "", renderRegions(r.setup),
      ].join("\n"));
    });
}
