// The NVDIMM SSDT that QEMU builds (hw/acpi/nvdimm.c: nvdimm_build_ssdt,
// nvdimm_build_common_dsm, nvdimm_build_fit, nvdimm_build_nvdimm_devices),
// term for term, so the output is byte-identical to QEMU 10's table
// (test/data/fixtures/S3-acpi-one-dimm/acpi/SSDT.bin). FORMATS.md §3 has the
// _DSM mailbox this AML talks to.
import { aml, buildSsdt, type AmlTerm } from "../aml/index.js";
import { GUIDS } from "../guid.js";

const {
  Scope, Device, Name, Method, If, Else, ElseIf, While, Return, Store, Add, Subtract, ShiftLeft,
  LEqual, LLess, LOr, LAnd, LNotEqual, Increment, SizeOf, ObjectType, DerefOf, Index, Concatenate, ToBuffer,
  Local, Arg, OperationRegion, Field, CreateDWordField, CreateField, ToUUID, AmlString, AmlBuffer, Package,
  MethodCall, NamePath, DWordConst, Zero, One,
} = aml;

export interface NvdimmSsdtOptions {
  /** Memory slots; QEMU declares a device NVxx for each, plugged or not. 1..256. */
  readonly slots: number;
  /** Guest address of the 4 KiB _DSM page (QEMU patches it into MEMA). */
  readonly memaAddress: number;
  readonly oemId?: string;
  readonly oemTableId?: string;
  readonly oemRevision?: number;
  readonly creatorId?: string;
  readonly creatorRevision?: number;
}

/** QEMU's NVDIMM_ACPI_IO_BASE: the guest rings the mailbox by writing MEMA here. */
export const NVDIMM_DSM_IO_PORT = 0x0a18;
/** The mailbox page, NvdimmDsmIn / NvdimmDsmOut (FORMATS.md §3). */
export const NVDIMM_DSM_PAGE_BYTES = 4096;
/** The root handle for QEMU's own root functions (Read FIT). */
export const NVDIMM_QEMU_ROOT_HANDLE = 0x10000;
/** _DSM status "FIT changed" (FORMATS.md §3). */
const STATUS_FIT_CHANGED = 0x100;
export const NVDIMM_MAX_SLOTS = 256;

/** NFIT device handle of a slot; 0 is the root device NVDR (DESIGN.md). */
export function slotToHandle(slot: number): number {
  return slot + 1;
}

/** The AML device name of a slot, as QEMU's "NV%02X". */
export function slotToDeviceName(slot: number): string {
  return `NV${slot.toString(16).toUpperCase().padStart(2, "0")}`;
}

const COMMON_DSM = "NCAL";
const MEMA = "MEMA";
const n = NamePath;

function commonDsm(): AmlTerm {
  const dsmMem = Local(6);
  const resultSize = Local(1);
  const uuid = Local(0);
  const handle = Arg(4);
  return Method(COMMON_DSM, { args: 5, serialized: true }, [
    Store(n(MEMA), dsmMem),
    OperationRegion("NPIO", "SystemIO", NVDIMM_DSM_IO_PORT, 4),
    OperationRegion("NRAM", "SystemMemory", dsmMem, NVDIMM_DSM_PAGE_BYTES),
    Field("NPIO", { access: "DWordAcc", lock: "NoLock", update: "Preserve" }, [{ name: "NTFI", bits: 32 }]),
    // NvdimmDsmIn: handle, revision, function, then arg3 to the end of the page.
    Field("NRAM", { access: "DWordAcc", lock: "NoLock", update: "Preserve" }, [
      { name: "HDLE", bits: 32 },
      { name: "REVS", bits: 32 },
      { name: "FUNC", bits: 32 },
      { name: "FARG", bits: (NVDIMM_DSM_PAGE_BYTES - 12) * 8 },
    ]),
    // NvdimmDsmOut overlays the same page: len, then data.
    Field("NRAM", { access: "DWordAcc", lock: "NoLock", update: "Preserve" }, [
      { name: "RLEN", bits: 32 },
      { name: "ODAT", bits: (NVDIMM_DSM_PAGE_BYTES - 4) * 8 },
    ]),
    If(LEqual(handle, 0), [Store(ToUUID(GUIDS.dsmRoot), uuid)]),
    ElseIf(LEqual(handle, NVDIMM_QEMU_ROOT_HANDLE), [Store(ToUUID(GUIDS.dsmQemuRoot), uuid)], [
      Store(ToUUID(GUIDS.dsmIntelDimm), uuid),
    ]),
    // Unpatched MEMA or a foreign UUID: function 0 answers "nothing supported", the rest "not supported".
    If(LOr(LEqual(dsmMem, 0), LNotEqual(Arg(0), uuid)), [
      If(LEqual(Arg(2), 0), [Return(AmlBuffer([0]))]),
      Return(AmlBuffer([1])),
    ]),
    Store(handle, n("HDLE")),
    Store(Arg(1), n("REVS")),
    Store(Arg(2), n("FUNC")),
    // Arg3 is a one-element package holding a buffer: copy that buffer to FARG.
    If(LAnd(LEqual(ObjectType(Arg(3)), 4), LEqual(SizeOf(Arg(3)), 1)), [
      Store(Index(Arg(3), 0), Local(2)),
      Store(DerefOf(Local(2)), Local(3)),
      Store(Local(3), n("FARG")),
    ]),
    Store(dsmMem, n("NTFI")),
    Subtract(n("RLEN"), 4, resultSize),
    // A buffer field that fits an Integer reads as an Integer, so results under
    // 8 bytes are copied out byte by byte to stay a Buffer.
    If(LLess(resultSize, 8), [
      Store(0, Local(2)),
      Name("TBUF", AmlBuffer([0])),
      Store(AmlBuffer(), Local(7)),
      While(LLess(Local(2), resultSize), [
        Store(DerefOf(Index(n("ODAT"), Local(2))), Index(n("TBUF"), 0)),
        Concatenate(Local(7), n("TBUF"), Local(7)),
        Increment(Local(2)),
      ]),
      Return(Local(7)),
    ]),
    Store(ShiftLeft(resultSize, 3), resultSize),
    CreateField(n("ODAT"), 0, resultSize, "OBUF"),
    Return(n("OBUF")),
  ]);
}

function deviceDsm(handle: number): AmlTerm {
  return Method("_DSM", { args: 4 }, [Return(MethodCall(COMMON_DSM, [Arg(0), Arg(1), Arg(2), Arg(3), handle]))]);
}

/** RFIT(offset): one Read FIT chunk through QEMU's root function 1; RSTA keeps the status. */
function readFitChunk(): AmlTerm {
  const fit = Local(0);
  const len = Local(1);
  return Method("RFIT", { args: 1, serialized: true }, [
    Name("OFST", Zero),
    Store(Arg(0), n("OFST")),
    Store(MethodCall(COMMON_DSM, [ToUUID(GUIDS.dsmQemuRoot), 1, 1, Package([n("OFST")]), NVDIMM_QEMU_ROOT_HANDLE]), fit),
    CreateDWordField(fit, 0, "STAU"),
    Store(n("STAU"), n("RSTA")),
    If(LNotEqual(0, n("STAU")), [Return(AmlBuffer())]),
    Store(SizeOf(fit), len),
    Subtract(len, 4, len),
    If(LEqual(len, 0), [Return(AmlBuffer())]),
    CreateField(fit, 32, ShiftLeft(len, 3), "BUFF"),
    Return(n("BUFF")),
  ]);
}

/** _FIT: concatenates RFIT chunks, restarting from 0 whenever the FIT changed meanwhile. */
function fitMethod(): AmlTerm {
  const chunk = Local(0);
  const chunkLen = Local(1);
  const fit = Local(2);
  const offset = Local(3);
  return Method("_FIT", { args: 0, serialized: true }, [
    Store(AmlBuffer(), fit),
    Store(0, offset),
    While(One, [
      Store(MethodCall("RFIT", [offset]), chunk),
      Store(SizeOf(chunk), chunkLen),
      If(LEqual(n("RSTA"), STATUS_FIT_CHANGED), [Store(AmlBuffer(), fit), Store(0, offset)]),
      Else([
        If(LEqual(chunkLen, 0), [Return(fit)]),
        Add(offset, chunkLen, offset),
        Concatenate(fit, chunk, fit),
      ]),
    ]),
  ]);
}

/** Intel DSM functions 4/5/6 (Get Label Size, Get/Set Label Data) behind _LSI/_LSR/_LSW (ACPI 6.4 §6.5.10). */
function labelMethods(handle: number): AmlTerm[] {
  const call = (fn: number, arg3: AmlTerm | number) => MethodCall(COMMON_DSM, [ToUUID(GUIDS.dsmIntelDimm), 1, fn, arg3, handle]);
  const lsi = Method("_LSI", { args: 0, serialized: true }, [
    Store(call(4, 0), Local(0)),
    CreateDWordField(Local(0), 0, "STTS"),
    CreateDWordField(Local(0), 4, "SLSA"),
    CreateDWordField(Local(0), 8, "MAXT"),
    Store(Package([n("STTS"), n("SLSA"), n("MAXT")]), Local(1)),
    Return(Local(1)),
  ]);
  const lsr = Method("_LSR", { args: 2, serialized: true }, [
    Name("INPT", AmlBuffer(new Uint8Array(8))),
    CreateDWordField(n("INPT"), 0, "OFST"),
    CreateDWordField(n("INPT"), 4, "LEN"),
    Store(Arg(0), n("OFST")),
    Store(Arg(1), n("LEN")),
    Store(Package([n("INPT")]), Local(0)),
    Store(call(5, Local(0)), Local(3)),
    CreateDWordField(Local(3), 0, "STTS"),
    CreateField(Local(3), 32, ShiftLeft(n("LEN"), 3), "LDAT"),
    Name("LSA", AmlBuffer()),
    ToBuffer(n("LDAT"), n("LSA")),
    Store(Package([n("STTS"), n("LSA")]), Local(1)),
    Return(Local(1)),
  ]);
  const lsw = Method("_LSW", { args: 3, serialized: true }, [
    Store(Arg(2), Local(2)),
    Name("INPT", AmlBuffer(new Uint8Array(8))),
    CreateDWordField(n("INPT"), 0, "OFST"),
    CreateDWordField(n("INPT"), 4, "TLEN"),
    Store(Arg(0), n("OFST")),
    Store(Arg(1), n("TLEN")),
    Concatenate(n("INPT"), Local(2), n("INPT")),
    Store(Package([n("INPT")]), Local(0)),
    Store(call(6, Local(0)), Local(3)),
    CreateDWordField(Local(3), 0, "STTS"),
    Return(n("STTS")),
  ]);
  return [lsi, lsr, lsw];
}

function nvdimmDevice(slot: number): AmlTerm {
  const handle = slotToHandle(slot);
  return Device(slotToDeviceName(slot), [Name("_ADR", handle), ...labelMethods(handle), deviceDsm(handle)]);
}

/** The guest's NVDIMM SSDT: root device \_SB.NVDR with one NVxx per slot, and MEMA. */
export function buildNvdimmSsdt(opts: NvdimmSsdtOptions): Uint8Array {
  const { slots, memaAddress } = opts;
  if (!Number.isInteger(slots) || slots < 1 || slots > NVDIMM_MAX_SLOTS) throw new RangeError(`slots must be 1..${NVDIMM_MAX_SLOTS}, not ${slots}`);
  if (!Number.isInteger(memaAddress) || memaAddress < 0 || memaAddress > 0xffff_ffff) {
    throw new RangeError(`memaAddress must be a 32-bit guest address, not ${memaAddress}`);
  }
  const root = Device("NVDR", [
    Name("_HID", AmlString("ACPI0012")),
    commonDsm(),
    deviceDsm(0),
    Name("RSTA", Zero),
    readFitChunk(),
    fitMethod(),
    ...Array.from({ length: slots }, (_, slot) => nvdimmDevice(slot)),
  ]);
  return buildSsdt(
    {
      revision: 1,
      oemId: opts.oemId ?? "BOCHS ",
      oemTableId: opts.oemTableId ?? "NVDIMM",
      oemRevision: opts.oemRevision ?? 1,
      aslCompilerId: opts.creatorId ?? "BXPC",
      aslCompilerRevision: opts.creatorRevision ?? 1,
    },
    // MEMA is a DWordConst whatever its value: QEMU's linker patches those 4 bytes.
    [Scope("\\_SB", [root]), Name(MEMA, DWordConst(memaAddress))],
  );
}
