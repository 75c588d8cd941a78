// Expression opcodes (ACPI 6.4 §20.2.5.4) and the local/argument objects (§20.2.6).
import { operand, type Operand } from "./data.js";
import { NullName, nameString } from "./names.js";
import { emitAll } from "./pkglength.js";
import { term, type AmlTerm } from "./sink.js";

const LOCALS = Object.freeze(Array.from({ length: 8 }, (_, n) => term((s) => s.byte(0x60 + n))));
const ARGS = Object.freeze(Array.from({ length: 7 }, (_, n) => term((s) => s.byte(0x68 + n))));

/** Local0..Local7. */
export function Local(n: number): AmlTerm {
  const t = LOCALS[n];
  if (t === undefined) throw new RangeError(`Local${n}: only Local0..Local7 exist`);
  return t;
}

/** Arg0..Arg6. */
export function Arg(n: number): AmlTerm {
  const t = ARGS[n];
  if (t === undefined) throw new RangeError(`Arg${n}: only Arg0..Arg6 exist`);
  return t;
}

/** `opcode operand… [target]`: the shape of most expression opcodes. */
function op(opcode: readonly number[], args: readonly AmlTerm[]): AmlTerm {
  const kids = Object.freeze([...args]);
  return term((s) => { s.bytes(opcode); emitAll(s, kids); });
}

const unary = (code: number) => (a: Operand): AmlTerm => op([code], [operand(a)]);
const binary = (code: number) => (a: Operand, b: Operand): AmlTerm => op([code], [operand(a), operand(b)]);
const withTarget = (code: number) => (a: Operand, b: Operand, target: AmlTerm = NullName): AmlTerm =>
  op([code], [operand(a), operand(b), target]);

/** Store(source, destination). */
export const Store = (source: Operand, destination: AmlTerm): AmlTerm => op([0x70], [operand(source), destination]);

export const Add = withTarget(0x72);
export const Concatenate = withTarget(0x73);
export const Subtract = withTarget(0x74);
export const Multiply = withTarget(0x77);
export const ShiftLeft = withTarget(0x79);
export const ShiftRight = withTarget(0x7a);
export const And = withTarget(0x7b);
export const Or = withTarget(0x7d);
export const Xor = withTarget(0x7f);
/** Index(source, index, target): a reference to one element. */
export const Index = withTarget(0x88);

export const Increment = (target: AmlTerm): AmlTerm => op([0x75], [target]);
export const Decrement = (target: AmlTerm): AmlTerm => op([0x76], [target]);

export const RefOf = (target: AmlTerm): AmlTerm => op([0x71], [target]);
export const DerefOf = unary(0x83);
export const SizeOf = (target: AmlTerm): AmlTerm => op([0x87], [target]);
export const ObjectType = (target: AmlTerm): AmlTerm => op([0x8e], [target]);

export const ToBuffer = (source: Operand, target: AmlTerm = NullName): AmlTerm => op([0x96], [operand(source), target]);
export const ToInteger = (source: Operand, target: AmlTerm = NullName): AmlTerm => op([0x99], [operand(source), target]);

export const LAnd = binary(0x90);
export const LOr = binary(0x91);
export const LNot = unary(0x92);
export const LEqual = binary(0x93);
export const LGreater = binary(0x94);
export const LLess = binary(0x95);
/** The compound forms are LNot of the opposite test (§20.2.5.4). */
export const LNotEqual = (a: Operand, b: Operand): AmlTerm => LNot(LEqual(a, b));
export const LLessEqual = (a: Operand, b: Operand): AmlTerm => LNot(LGreater(a, b));
export const LGreaterEqual = (a: Operand, b: Operand): AmlTerm => LNot(LLess(a, b));

/** Notify(object, value). */
export const Notify = (object: AmlTerm, value: Operand): AmlTerm => op([0x86], [object, operand(value)]);

/** Acquire(mutex, timeoutMs); 0xFFFF waits forever. */
export function Acquire(mutex: AmlTerm, timeoutMs: number): AmlTerm {
  if (!Number.isInteger(timeoutMs) || timeoutMs < 0 || timeoutMs > 0xffff) throw new RangeError(`Acquire timeout ${timeoutMs} is not a u16`);
  return term((s) => { s.bytes([0x5b, 0x23]); mutex.emit(s); s.uint(BigInt(timeoutMs), 2); });
}

export const Release = (mutex: AmlTerm): AmlTerm => op([0x5b, 0x27], [mutex]);

/** A method invocation: the method's name, then its arguments (§20.2.5.4 MethodInvocation). */
export function MethodCall(name: string, args: readonly Operand[] = []): AmlTerm {
  if (args.length > 7) throw new RangeError(`a method takes at most 7 arguments, not ${args.length}`);
  const path = nameString(name);
  const kids = Object.freeze(args.map(operand));
  return term((s) => { s.bytes(path); emitAll(s, kids); });
}
