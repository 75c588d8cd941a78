// Address Range Scrub through the root _DSM (ACPI 6.4 §9.20.7.2–9.20.7.4), as
// Linux's drivers/acpi/nfit/core.c drives it: Query ARS Capabilities per SPA
// range, Start ARS over the range, then Query ARS Status until done, and Start
// again from the restart range when the records overflowed. The bad ranges are
// guest-physical and come from the caller (broken host pages translated to
// gpa). No VMM does this; QEMU's root _DSM supports nothing but function 0.
import { DSM_MAX_OUTPUT_BYTES, DSM_STATUS, U64_MAX, status, type DsmResponse } from "../formats/index.js";
import {
  ARS_EXT, ARS_START_FLAG_PREV_DATA, ARS_STATUS, ARS_STATUS_FLAG_OVERFLOW, ARS_TYPE_PERSISTENT, ROOT_FN,
  ArsCapIn, ArsCapOut, ArsRecord, ArsStartIn, ArsStartOut, ArsStatusOut, arsStatusWord,
} from "./ars-structs.js";

/** A persistent-memory SPA range the guest may scrub: one vNVDIMM window. */
export interface ArsRange {
  readonly handle: number;
  readonly gpa: bigint;
  readonly sizeBytes: bigint;
}

export interface BadRange {
  readonly gpa: bigint;
  readonly lengthBytes: bigint;
}

export interface ArsSources {
  /** The plugged windows. */
  ranges(): readonly ArsRange[];
  /** Known bad ranges, guest-physical. */
  badRanges(): readonly BadRange[];
}

export interface ArsOptions {
  /** Query ARS Status calls that answer "in progress" after each Start ARS; default 0. */
  readonly scrubPolls?: number;
}

export interface ArsErrorRecord {
  readonly handle: number;
  readonly address: bigint;
  readonly length: bigint;
}

/** Root function 0 mask with ARS: bit 0 plus functions 1–3. */
export const ARS_FUNCTION_MASK = 0x1 | (1 << ROOT_FN.QUERY_ARS_CAPABILITIES) | (1 << ROOT_FN.START_ARS) | (1 << ROOT_FN.QUERY_ARS_STATUS);
/** The largest Query ARS Status answer, status word included: the page minus the len word. */
export const ARS_MAX_QUERY_RESPONSE_BYTES = DSM_MAX_OUTPUT_BYTES;
/** Bad ranges are whole host pages; Clear Uncorrectable Error itself is not offered. */
export const ARS_CLEAR_ERROR_UNIT_BYTES = 4096;
const STATUS_WORD_BYTES = 4;
/** Records that fit in one Query ARS Status answer (168). */
export const ARS_MAX_RECORDS = Math.floor((ARS_MAX_QUERY_RESPONSE_BYTES - STATUS_WORD_BYTES - ArsStatusOut.size) / ArsRecord.size);

interface Scrub {
  readonly handle: number;
  readonly address: bigint;
  readonly length: bigint;
}

type ArsState =
  | { readonly kind: "idle" }
  | { readonly kind: "running"; readonly scrub: Scrub; pollsLeft: number }
  | { readonly kind: "done"; readonly scrub: Scrub; readonly records: readonly ArsErrorRecord[] };

function answer(statusWord: number, payload: Uint8Array = new Uint8Array(0)): DsmResponse {
  return { status: statusWord, payload };
}

const invalid = (): DsmResponse => answer(arsStatusWord(ARS_STATUS.INVALID_INPUT));

/** The range's end, or undefined when it is empty or passes 2^64. */
function endOf(address: bigint, length: bigint): bigint | undefined {
  const end = address + length;
  return length === 0n || end - 1n > U64_MAX ? undefined : end;
}

/** The bad ranges clipped to [address, end), sorted, with overlapping and adjacent ones merged. */
export function arsRecordsFor(bad: readonly BadRange[], handle: number, address: bigint, end: bigint): ArsErrorRecord[] {
  const clipped = bad
    .map((b) => ({ lo: b.gpa > address ? b.gpa : address, hi: b.gpa + b.lengthBytes < end ? b.gpa + b.lengthBytes : end }))
    .filter((r) => r.lo < r.hi)
    .sort((a, b) => (a.lo < b.lo ? -1 : a.lo > b.lo ? 1 : 0));
  const merged: { lo: bigint; hi: bigint }[] = [];
  for (const r of clipped) {
    const last = merged[merged.length - 1];
    if (last && r.lo <= last.hi) last.hi = r.hi > last.hi ? r.hi : last.hi;
    else merged.push({ ...r });
  }
  return merged.map((r) => ({ handle, address: r.lo, length: r.hi - r.lo }));
}

export class ArsEngine {
  readonly functionMask = ARS_FUNCTION_MASK;
  #state: ArsState = { kind: "idle" };
  readonly #scrubPolls: number;

  constructor(private readonly sources: ArsSources, opts: ArsOptions = {}) {
    this.#scrubPolls = Math.max(0, Math.floor(opts.scrubPolls ?? 0));
  }

  /** Root functions 1–3; anything else is "not supported". Never throws for any arg3. */
  handle(fn: number, arg3: Uint8Array): DsmResponse {
    switch (fn) {
      case ROOT_FN.QUERY_ARS_CAPABILITIES: return this.#capabilities(arg3);
      case ROOT_FN.START_ARS: return this.#start(arg3);
      case ROOT_FN.QUERY_ARS_STATUS: return this.#status();
      default: return status(DSM_STATUS.NOT_SUPPORTED);
    }
  }

  /** The window that holds all of [address, end), if any. */
  #rangeHolding(address: bigint, end: bigint): ArsRange | undefined {
    return this.sources.ranges().find((r) => address >= r.gpa && end <= r.gpa + r.sizeBytes);
  }

  #capabilities(arg3: Uint8Array): DsmResponse {
    if (!ArsCapIn.fits(arg3)) return invalid();
    const { address, length } = ArsCapIn.decode(arg3);
    const end = endOf(address, length);
    if (end === undefined) return invalid();
    // Extended status: the scrub types this range supports; none outside a vNVDIMM.
    const types = this.#rangeHolding(address, end) ? ARS_TYPE_PERSISTENT : 0;
    const out = ArsCapOut.encode({ maxQueryResponseBytes: ARS_MAX_QUERY_RESPONSE_BYTES, clearErrorUnitBytes: ARS_CLEAR_ERROR_UNIT_BYTES, flags: 0 });
    return answer(arsStatusWord(ARS_STATUS.SUCCESS, types), out);
  }

  #start(arg3: Uint8Array): DsmResponse {
    if (!ArsStartIn.fits(arg3)) return invalid();
    const { address, length, type, flags } = ArsStartIn.decode(arg3);
    const end = endOf(address, length);
    if (end === undefined || (type & ARS_TYPE_PERSISTENT) === 0) return invalid();
    const range = this.#rangeHolding(address, end);
    if (!range) return invalid();
    if (this.#state.kind === "running") return answer(arsStatusWord(ARS_STATUS.START_BUSY));
    const scrub: Scrub = { handle: range.handle, address, length };
    // "Return previous data" needs no scrub: the bad ranges known now are the previous data.
    const polls = (flags & ARS_START_FLAG_PREV_DATA) !== 0 ? 0 : this.#scrubPolls;
    this.#state = polls === 0 ? this.#complete(scrub) : { kind: "running", scrub, pollsLeft: polls };
    return answer(arsStatusWord(ARS_STATUS.SUCCESS), ArsStartOut.encode({ estimatedSeconds: polls === 0 ? 0 : 1 }));
  }

  #complete(scrub: Scrub): ArsState {
    return { kind: "done", scrub, records: arsRecordsFor(this.sources.badRanges(), scrub.handle, scrub.address, scrub.address + scrub.length) };
  }

  #status(): DsmResponse {
    const s = this.#state;
    if (s.kind === "idle") return this.#statusAnswer(ARS_EXT.NONE, undefined, []);
    if (s.kind === "running") {
      if (s.pollsLeft > 0) {
        s.pollsLeft--;
        return this.#statusAnswer(ARS_EXT.IN_PROGRESS, s.scrub, []);
      }
      this.#state = this.#complete(s.scrub);
      return this.#status();
    }
    if (s.records.length <= ARS_MAX_RECORDS) return this.#statusAnswer(ARS_EXT.DONE, s.scrub, s.records);
    // Too many records: report what fits and where to restart (Linux ars_continue).
    const next = s.records[ARS_MAX_RECORDS]!;
    const restart = { address: next.address, length: s.scrub.address + s.scrub.length - next.address };
    return this.#statusAnswer(ARS_EXT.STOPPED, s.scrub, s.records.slice(0, ARS_MAX_RECORDS), restart);
  }

  #statusAnswer(ext: number, scrub: Scrub | undefined, records: readonly ArsErrorRecord[], restart?: { address: bigint; length: bigint }): DsmResponse {
    const payload = new Uint8Array(ArsStatusOut.size + records.length * ArsRecord.size);
    ArsStatusOut.encode({
      outputLength: STATUS_WORD_BYTES + payload.length,
      address: scrub?.address ?? 0n,
      length: scrub?.length ?? 0n,
      restartAddress: restart?.address ?? 0n,
      restartLength: restart?.length ?? 0n,
      type: scrub ? ARS_TYPE_PERSISTENT : 0,
      flags: restart ? ARS_STATUS_FLAG_OVERFLOW : 0,
      recordCount: records.length,
    }, payload);
    records.forEach((r, i) => ArsRecord.encode(r, payload, ArsStatusOut.size + i * ArsRecord.size));
    return answer(arsStatusWord(ARS_STATUS.SUCCESS, ext), payload);
  }
}

/** Decodes a Query ARS Status payload (after the status word), for guests and tests. */
export function decodeArsStatus(payload: Uint8Array): { header: ReturnType<typeof ArsStatusOut.decode>; records: ArsErrorRecord[] } | undefined {
  if (!ArsStatusOut.fits(payload)) return undefined;
  const header = ArsStatusOut.decode(payload);
  const records: ArsErrorRecord[] = [];
  for (let i = 0; i < header.recordCount; i++) {
    const at = ArsStatusOut.size + i * ArsRecord.size;
    if (!ArsRecord.fits(payload, at)) break;
    const r = ArsRecord.decode(payload, at);
    records.push({ handle: r.handle, address: r.address, length: r.length });
  }
  return { header, records };
}
