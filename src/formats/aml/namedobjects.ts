// Namespace modifiers and named objects (ACPI 6.4 §20.2.5.1, §20.2.5.2).
import { operand, type Operand } from "./data.js";
import { nameSeg, nameString } from "./names.js";
import { emitAll, emitPackage, pkgLengthValue } from "./pkglength.js";
import { term, type AmlTerm } from "./sink.js";

/** Name(name, value). */
export function Name(name: string, value: Operand): AmlTerm {
  const path = nameString(name);
  const v = operand(value);
  return term((s) => { s.byte(0x08).bytes(path); v.emit(s); });
}

function container(opcode: readonly number[], name: string, body: readonly AmlTerm[], flags: readonly number[] = []): AmlTerm {
  const path = nameString(name);
  const kids = Object.freeze([...body]);
  return term((s) => emitPackage(s, opcode, (b) => { b.bytes(path).bytes(flags); emitAll(b, kids); }));
}

export const Scope = (name: string, body: readonly AmlTerm[]): AmlTerm => container([0x10], name, body);
export const Device = (name: string, body: readonly AmlTerm[]): AmlTerm => container([0x5b, 0x82], name, body);

export interface MethodFlags {
  /** 0..7 arguments. */
  readonly args: number;
  /** Serialized methods run one at a time; they may create named objects safely. */
  readonly serialized?: boolean;
  /** 0..15; only meaningful when serialized. */
  readonly syncLevel?: number;
}

/** Method(name, flags, body): MethodFlags = args | serialized << 3 | syncLevel << 4. */
export function Method(name: string, flags: MethodFlags, body: readonly AmlTerm[]): AmlTerm {
  const { args, serialized = false, syncLevel = 0 } = flags;
  if (!Number.isInteger(args) || args < 0 || args > 7) throw new RangeError(`Method ${name}: ${args} arguments, at most 7`);
  if (!Number.isInteger(syncLevel) || syncLevel < 0 || syncLevel > 15) throw new RangeError(`Method ${name}: sync level ${syncLevel} is not 0..15`);
  return container([0x14], name, body, [args | (serialized ? 0x08 : 0) | (syncLevel << 4)]);
}

/** Address spaces for OperationRegion (§19.6.100). */
export const RegionSpace = {
  SystemMemory: 0x00,
  SystemIO: 0x01,
  PCI_Config: 0x02,
  EmbeddedControl: 0x03,
  SMBus: 0x04,
  SystemCMOS: 0x05,
  PciBarTarget: 0x06,
  IPMI: 0x07,
  GeneralPurposeIO: 0x08,
  GenericSerialBus: 0x09,
  PCC: 0x0a,
} as const;
export type RegionSpaceName = keyof typeof RegionSpace;

/** OperationRegion(name, space, offset, length). */
export function OperationRegion(name: string, space: RegionSpaceName, offset: Operand, length: Operand): AmlTerm {
  const path = nameString(name);
  const off = operand(offset);
  const len = operand(length);
  return term((s) => { s.bytes([0x5b, 0x80]).bytes(path).byte(RegionSpace[space]); off.emit(s); len.emit(s); });
}

const ACCESS = { AnyAcc: 0, ByteAcc: 1, WordAcc: 2, DWordAcc: 3, QWordAcc: 4, BufferAcc: 5 } as const;
const UPDATE = { Preserve: 0, WriteAsOnes: 1, WriteAsZeros: 2 } as const;

export interface FieldFlags {
  readonly access: keyof typeof ACCESS;
  readonly lock?: "NoLock" | "Lock";
  readonly update?: keyof typeof UPDATE;
}

/** One element of a field list: a named field, or unnamed bits to skip when `name` is absent. */
export interface FieldElement {
  readonly name?: string;
  readonly bits: number;
}

/** Field(region, flags, elements) (§20.2.5.2 DefField). Bit widths are PkgLengths that do not count themselves. */
export function Field(region: string, flags: FieldFlags, elements: readonly FieldElement[]): AmlTerm {
  const path = nameString(region);
  const flagByte = ACCESS[flags.access] | ((flags.lock === "Lock" ? 1 : 0) << 4) | (UPDATE[flags.update ?? "Preserve"] << 5);
  const list = elements.map((e) => {
    const head = e.name === undefined ? Uint8Array.of(0x00) : nameSeg(e.name);
    return Uint8Array.from([...head, ...pkgLengthValue(e.bits)]);
  });
  return term((s) => emitPackage(s, [0x5b, 0x81], (b) => { b.bytes(path).byte(flagByte); for (const e of list) b.bytes(e); }));
}

/** Mutex(name, syncLevel). */
export function Mutex(name: string, syncLevel = 0): AmlTerm {
  if (!Number.isInteger(syncLevel) || syncLevel < 0 || syncLevel > 15) throw new RangeError(`Mutex ${name}: sync level ${syncLevel} is not 0..15`);
  const path = nameString(name);
  return term((s) => s.bytes([0x5b, 0x01]).bytes(path).byte(syncLevel));
}

function createFixedField(opcode: number) {
  return (source: AmlTerm, index: Operand, name: string): AmlTerm => {
    const idx = operand(index);
    const path = nameString(name);
    return term((s) => { s.byte(opcode); source.emit(s); idx.emit(s); s.bytes(path); });
  };
}

/** CreateDWordField(source, byteIndex, name), and its siblings; CreateBitField takes a bit index. */
export const CreateDWordField = createFixedField(0x8a);
export const CreateWordField = createFixedField(0x8b);
export const CreateByteField = createFixedField(0x8c);
export const CreateBitField = createFixedField(0x8d);
export const CreateQWordField = createFixedField(0x8f);

/** CreateField(source, bitIndex, numBits, name). */
export function CreateField(source: AmlTerm, bitIndex: Operand, numBits: Operand, name: string): AmlTerm {
  const idx = operand(bitIndex);
  const n = operand(numBits);
  const path = nameString(name);
  return term((s) => { s.bytes([0x5b, 0x13]); source.emit(s); idx.emit(s); n.emit(s); s.bytes(path); });
}
