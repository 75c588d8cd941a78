// Statement opcodes (ACPI 6.4 §20.2.5.3).
import { operand, type Operand } from "./data.js";
import { emitAll, emitPackage } from "./pkglength.js";
import { term, type AmlTerm } from "./sink.js";

function predicated(opcode: number, predicate: Operand, body: readonly AmlTerm[]): AmlTerm {
  const p = operand(predicate);
  const kids = Object.freeze([...body]);
  return term((s) => emitPackage(s, [opcode], (b) => { p.emit(b); emitAll(b, kids); }));
}

export const If = (predicate: Operand, body: readonly AmlTerm[]): AmlTerm => predicated(0xa0, predicate, body);
export const While = (predicate: Operand, body: readonly AmlTerm[]): AmlTerm => predicated(0xa2, predicate, body);

/** Else must directly follow an If in the same term list. */
export function Else(body: readonly AmlTerm[]): AmlTerm {
  const kids = Object.freeze([...body]);
  return term((s) => emitPackage(s, [0xa1], (b) => emitAll(b, kids)));
}

/**
 * ElseIf has no opcode: it is Else { If (…) {…} [Else {…}] }, which is what
 * iasl disassembles back to ElseIf. `otherwise` becomes the nested Else.
 */
export function ElseIf(predicate: Operand, body: readonly AmlTerm[], otherwise?: readonly AmlTerm[]): AmlTerm {
  return Else(otherwise === undefined ? [If(predicate, body)] : [If(predicate, body), Else(otherwise)]);
}

export const Return = (value: Operand): AmlTerm => {
  const v = operand(value);
  return term((s) => { s.byte(0xa4); v.emit(s); });
};

export const Break: AmlTerm = term((s) => s.byte(0xa5));
export const Noop: AmlTerm = term((s) => s.byte(0xa3));
