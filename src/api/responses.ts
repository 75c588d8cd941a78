// The success body of each route, as a zod schema: the OpenAPI document
// renders them, and the API tests check live responses against them. They
// describe the JSON on the wire (src/api/json.ts), not the objects in memory.
// Fixed shapes are strict, so a field added to a command without a word here
// fails the tests; open records (the host's status) are loose.
import { z } from "zod";
import { LedgerExtentSchema, type StopHow } from "../toolstack/index.js";
import type { SegmentKind } from "./wire/map-segment.js";

/**
 * A u64: a bigint in memory, an exact JSON integer on the wire, so a number
 * once parsed (or a bigint, from parseJsonExact). The meta is what
 * z.toJSONSchema prints, since it cannot represent a bigint itself.
 */
export const u64 = z.custom<bigint | number>((v) => (typeof v === "bigint" ? v >= 0n : Number.isSafeInteger(v) && (v as number) >= 0), "expected an unsigned integer")
  .meta({ type: "integer", minimum: 0, description: "u64, an exact JSON integer" });
const nat = z.number().int().nonnegative();
const uuid = z.string().nullable().describe("null for a label-less namespace");
const extent = LedgerExtentSchema;

const regionRow = z.strictObject({
  type: z.enum(["raw", "mgmt", "data"]), smfn: nat, emfn: nat, pxm: nat.nullable(),
  // data regions only:
  mgmtSmfn: nat.nullable().optional(), mgmtEmfn: nat.nullable().optional(), placement: z.string().optional(),
  freePages: nat.optional(), ownedPages: nat.optional(), brokenPages: nat.optional(),
});

export const hostStatusOutput = z.looseObject({
  state: z.string(), spec: z.string(), pmemMgmt: z.enum(["ram", "pmem"]),
  dimms: z.array(z.looseObject({
    index: nat, handle: nat, node: nat, spa: u64, smfn: nat, sizeBytes: u64, labelSizeBytes: u64, serial: nat, path: z.string(),
    labels: z.enum(["v1.1", "v1.2", "none"]),
    namespaces: z.array(z.looseObject({ uuid, name: z.string(), dpa: u64, sizeBytes: u64, content: z.string(), mode: z.string().optional() })),
    labelProblems: z.array(z.string()),
  })),
  reservations: z.array(z.looseObject({
    handle: nat, namespace: uuid, uuid: z.string(), mgmtSizeBytes: u64, dataSizeBytes: u64, ok: z.boolean(), error: z.string().optional(),
  })),
  skipped: z.array(z.looseObject({ handle: nat, namespace: uuid, reasons: z.array(z.string()) })),
  lost: z.array(z.looseObject({ uuid: z.string(), handle: nat, namespace: uuid, dpa: u64, sizeBytes: u64, found: z.string() }))
    .describe("reservations this host found before and no longer finds: damaged, converted by another OS, or gone"),
  regions: z.array(regionRow),
  bootProblems: z.array(z.string()),
  managementRamBytes: z.strictObject({ frameTables: nat, p2m: nat }).describe("host RAM the hypervisor spends on frame tables and domains' p2m"),
});

// Every kind, checked against the wire type: a new kind there fails to compile here.
const SEGMENT_KINDS = { "label-area": 0, reservation: 0, mgmt: 0, "data-free": 0, extent: 0, unreserved: 0, other: 0 } satisfies Record<SegmentKind, 0>;

export const pmemMapOutput = z.strictObject({
  dimms: z.array(z.strictObject({
    index: nat, handle: nat, node: nat, path: z.string(), spa: u64, sizeBytes: u64, labelSizeBytes: u64, smfn: nat, nrPages: nat,
    segments: z.array(z.strictObject({
      kind: z.enum(Object.keys(SEGMENT_KINDS) as SegmentKind[]),
      smfn: nat.nullable(), nrPages: nat, offset: nat, bytes: nat,
      domain: z.string().optional(), vnvdimm: z.string().optional(), status: z.string().optional(), labelPages: nat.optional(),
      namespace: uuid.optional(), name: z.string().optional(), content: z.string().optional(),
    })),
    broken: z.array(z.strictObject({ mfn: nat, offset: nat })),
  })),
});

export const pmemListOutput = z.strictObject({ regions: z.array(regionRow) });

export const pmemForgetOutput = z.strictObject({ uuid: z.string(), forgotten: z.boolean() });

export const pmemReserveOutput = z.strictObject({
  handle: nat,
  namespace: z.strictObject({ uuid: z.string(), name: z.string(), dpa: u64, sizeBytes: u64, created: z.boolean() }),
  record: z.looseObject({
    uuid: z.string(), parentUuid: z.string().nullable(), flags: nat, version: z.string(),
    mgmtOffset: u64, mgmtSize: u64, dataOffset: u64, dataSize: u64, bytesPerPage: nat, pageSize: nat, align: nat, owner: z.string(),
  }),
  alreadyReserved: z.boolean(),
  setup: z.array(regionRow).describe("the regions the next boot set up from the reservation"),
});

export const pmemSetupOutput = z.strictObject({ region: regionRow, regions: z.array(regionRow) });

export const addDimmOutput = z.strictObject({
  index: nat, node: nat, handle: nat, spa: u64, sizeBytes: u64, labelSizeBytes: u64, path: z.string(),
  hotplugged: z.boolean().describe("a living host took it at once; otherwise the next boot finds it"),
});

export const stopHostOutput = z.strictObject({
  pid: z.number().describe("the host process, which exits once this answer is out"),
  state: z.string(),
  stopping: z.literal(true),
});

export const hostMceOutput = z.strictObject({
  mfn: nat, owner: nat.nullable().describe("domid, or null for a free page"), domain: z.string().nullable().describe("the owner's name"), region: z.string(), alreadyBroken: z.boolean(),
  guestTold: z.boolean().describe("the owner's running guest was told: notified (Notify 0x81) and ran ARS (builtin, on a living host), or marked the page in its badblocks (qemu, on_mce = \"tell\")"),
  onMce: z.strictObject({
    policy: z.enum(["stop", "tell"]).describe("the owner's on_mce"),
    action: z.enum(["stopped", "told"]).describe("stopped: the domain was stopped; told: its running guest marked the page in its badblocks and runs on"),
    marked: z.array(z.string()).describe("where the running guest marked it: \"pmem0 sectors 8+8\""),
    why: z.string().optional().describe("why on_mce = \"tell\" stopped the domain after all"),
    qemu: z.enum(["poweroff", "quit", "kill", "not-running"]).optional().describe("how QEMU was stopped"),
  }).optional().describe("what the owner's on_mce did; only for a qemu domain, whose QEMU cannot take the page from its guest"),
  heldBy: z.string().optional().describe("no running domain owned the page, but this stopped domain (or kept extent) holds it: its guest finds the page at its next boot"),
});

const orphans = z.array(z.strictObject({ domain: z.string(), extents: z.array(extent) }));

const releasedExtent = z.strictObject({
  from: z.string().describe("the domain it came from"), id: z.string(), smfn: nat, nrPages: nat, keep: z.boolean().describe("kept by delete --keep-data until reclaim --scrub"),
  releasedAt: z.string(),
});

const vnvdimmRow = z.strictObject({
  id: z.string(), slot: nat, smfn: nat, nrPages: nat, nrLabelPages: nat, node: nat, state: z.string(), gpa: u64.nullable(), sizeBytes: u64,
});

const domainRow = z.strictObject({
  name: z.string(), domid: nat.nullable(),
  status: z.enum(["running", "stopped", "interrupted", "crashed"])
    .describe("interrupted: a create a crash cut short, never started; reclaim removes it. crashed: its QEMU died without a destroy; create starts it again, destroy records it stopped"),
  backend: z.string(), memoryMiB: nat,
  vnvdimms: z.array(vnvdimmRow),
  error: z.string().optional().describe("why the hypervisor refused to start it"),
  reclaim: z.string().optional().describe("what `vnvdimm reclaim` will do with its unfinished extents"),
  qemu: z.union([z.strictObject({ pid: nat, status: z.string() }), z.strictObject({ pid: z.null(), status: z.literal("gone") })]).optional()
    .describe("a running qemu domain, as QMP reports it"),
});

export const listOutput = z.strictObject({
  domains: z.array(domainRow),
  orphans: orphans.describe("allocations a crash left unfinished (see reclaim)"),
  released: z.array(releasedExtent).describe("extents no domain owns that are not free yet: awaiting their scrub, or kept by delete --keep-data"),
});

export const showOutput = domainRow.extend({
  createdAt: z.string(),
  configFile: z.string().optional().describe("where the config text came from at create"),
  config: z.string().describe("the xl-style config exactly as its last create stored it (start reuses it); attach and detach since then show in vnvdimms"),
  vnvdimms: z.array(vnvdimmRow.extend({ spec: z.string().describe("the vnvdimm spec it was made from"), provisioned: z.boolean().describe("its labels and info blocks were written") })),
});

export const createOutput = z.strictObject({
  name: z.string(), domid: nat, recreated: z.boolean(), extents: z.array(extent), backend: z.enum(["builtin", "qemu"]),
  qemu: z.strictObject({ pid: nat, accel: z.string(), console: z.string(), badPages: nat.describe("broken pages its guest is given as badblocks at this boot"),
    bootMs: nat.optional().describe("how long its guest took to boot (its agent's READY); absent when the call did not wait (bootTimeoutS 0)") }).optional(),
});

export const destroyOutput = z.strictObject({
  name: z.string(), releasedPages: nat, qemu: z.enum(["poweroff", "quit", "kill", "not-running"] as const satisfies readonly StopHow[]).optional().describe("how QEMU was stopped"),
});

export const deleteOutput = z.strictObject({
  name: z.string(), releasedExtents: z.array(extent), scrubbed: z.boolean().describe("the pages were zeroed and are free; false with keepData"),
});
export const attachOutput = z.strictObject({ name: z.string(), extent, hotplugged: z.boolean() });
export const detachOutput = z.strictObject({ name: z.string(), extent });
export const reclaimOutput = z.strictObject({ reclaimed: orphans, scrubbed: z.array(releasedExtent).describe("released extents zeroed and freed now") });

export const guestArsOutput = z.strictObject({
  records: z.array(z.strictObject({ handle: nat, address: u64.describe("guest-physical"), length: u64 })).describe("what a scrub in the guest finds now"),
  events: z.array(z.strictObject({ at: z.string(), kind: z.string(), records: nat })).describe("notifications the running guest's driver handled (a living host only)"),
});

export const guestNamespacesOutput = z.strictObject({
  namespaces: z.array(z.strictObject({ uuid, name: z.string(), size: u64, mode: z.string(), dimm: nat, readOnly: z.boolean() })),
});
export const guestReadOutput = z.strictObject({ length: nat, base64: z.string() });
export const guestWriteOutput = z.strictObject({ written: nat });
export const guestExecOutput = z.strictObject({
  status: z.number().int(), timedOut: z.boolean().describe("the command ran past timeoutS and was stopped in the guest"),
  stdout: z.string().describe("base64"), stderr: z.string().describe("base64"),
});
