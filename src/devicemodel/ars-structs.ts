// The root _DSM Address Range Scrub buffers (ACPI 6.4 §9.20.7.2–9.20.7.4), as
// Linux lays them out (include/uapi/linux/ndctl.h nd_cmd_ars_cap,
// nd_cmd_ars_start, nd_cmd_ars_status, nd_ars_record). Inputs are the _DSM
// Arg3 buffer; outputs are what follows the status word, which packs
// {u16 status, u16 extended status}.
import { defineStruct } from "../formats/index.js";

const SPEC = "ACPI 6.4 §9.20.7";

export const ROOT_FN = {
  QUERY_ARS_CAPABILITIES: 1,
  START_ARS: 2,
  QUERY_ARS_STATUS: 3,
} as const;

/** Root _DSM status (low 16 bits of the status word; ACPI 6.4 §9.20.7). */
export const ARS_STATUS = {
  SUCCESS: 0,
  NOT_SUPPORTED: 1,
  INVALID_INPUT: 2,
  /** Start ARS: "ARS already in progress" (Linux NFIT_ARS_START_BUSY). */
  START_BUSY: 6,
} as const;

/** Query ARS Status extended status (high 16 bits; Linux enum nfit_ars_state). */
export const ARS_EXT = {
  DONE: 0,
  IN_PROGRESS: 1,
  NONE: 2,
  /** Stopped before the end; with ARS_STATUS_FLAG_OVERFLOW, restart from the restart range. */
  STOPPED: 3,
} as const;

/** Scrub types: capability extended status bits and the Start ARS type (Linux ND_ARS_VOLATILE/PERSISTENT). */
export const ARS_TYPE_VOLATILE = 1;
export const ARS_TYPE_PERSISTENT = 2;
/** Start ARS flag bit 0: return data from a previous scrub (ACPI 6.2+, Linux ND_ARS_RETURN_PREV_DATA). */
export const ARS_START_FLAG_PREV_DATA = 1;
/** Query ARS Status flag bit 0: more records than the buffer holds. */
export const ARS_STATUS_FLAG_OVERFLOW = 1;

/** Packs the root status word: {u16 status, u16 extended status}. */
export function arsStatusWord(status: number, extended = 0): number {
  return ((extended & 0xffff) << 16 | (status & 0xffff)) >>> 0;
}

export const ArsCapIn = defineStruct({
  name: "ars_cap_in", size: 16, spec: `${SPEC}.2 Query ARS Capabilities input`,
  fields: [
    { name: "address", offset: 0, kind: "u64" },
    { name: "length", offset: 8, kind: "u64" },
  ],
} as const);

export const ArsCapOut = defineStruct({
  name: "ars_cap_out", size: 12, spec: `${SPEC}.2 Query ARS Capabilities output, after the status word`,
  fields: [
    { name: "maxQueryResponseBytes", offset: 0, kind: "u32", spec: "includes the status word" },
    { name: "clearErrorUnitBytes", offset: 4, kind: "u32" },
    { name: "flags", offset: 8, kind: "u16" },
    { name: "reserved", offset: 10, size: 2, kind: "reserved" },
  ],
} as const);

export const ArsStartIn = defineStruct({
  name: "ars_start_in", size: 24, spec: `${SPEC}.3 Start ARS input`,
  fields: [
    { name: "address", offset: 0, kind: "u64" },
    { name: "length", offset: 8, kind: "u64" },
    { name: "type", offset: 16, kind: "u16" },
    { name: "flags", offset: 18, kind: "u8" },
    { name: "reserved", offset: 19, size: 5, kind: "reserved" },
  ],
} as const);

export const ArsStartOut = defineStruct({
  name: "ars_start_out", size: 4, spec: `${SPEC}.3 Start ARS output, after the status word`,
  fields: [{ name: "estimatedSeconds", offset: 0, kind: "u32" }],
} as const);

export const ArsStatusOut = defineStruct({
  name: "ars_status_out", size: 44, spec: `${SPEC}.4 Query ARS Status output, after the status word`,
  fields: [
    { name: "outputLength", offset: 0, kind: "u32", spec: "the whole output buffer, status word included" },
    { name: "address", offset: 4, kind: "u64" },
    { name: "length", offset: 12, kind: "u64" },
    { name: "restartAddress", offset: 20, kind: "u64" },
    { name: "restartLength", offset: 28, kind: "u64" },
    { name: "type", offset: 36, kind: "u16" },
    { name: "flags", offset: 38, kind: "u16" },
    { name: "recordCount", offset: 40, kind: "u32" },
  ],
} as const);

export const ArsRecord = defineStruct({
  name: "ars_record", size: 24, spec: `${SPEC}.4 ARS error record`,
  fields: [
    { name: "handle", offset: 0, kind: "u32", spec: "NFIT device handle" },
    { name: "reserved", offset: 4, size: 4, kind: "reserved" },
    { name: "address", offset: 8, kind: "u64" },
    { name: "length", offset: 16, kind: "u64" },
  ],
} as const);
