// `inspect acpi`: an ACPI table's header and checksum; an NFIT in full.
import { describeAcpiTable, type AcpiTableDescription } from "../formats/index.js";
import type { Command } from "./command.js";
import { SUMMARY } from "./verbs.js";
import { UserError } from "./errors.js";
import { openReadOnly } from "./read-file.js";

/** Far larger than any real NFIT or SSDT; keeps a mistaken path from being read whole. */
const MAX_TABLE_BYTES = 16 * 1024 * 1024;

export interface InspectAcpiResult extends AcpiTableDescription {
  file: string;
  bytes: number;
  valid: boolean;
}

export function inspectAcpi(input: { file: string }): InspectAcpiResult {
  const f = openReadOnly(input.file);
  try {
    if (f.sizeBytes > MAX_TABLE_BYTES) throw new UserError("usage", `${input.file} is ${f.sizeBytes} bytes, too large for an ACPI table`, "pass a table such as /sys/firmware/acpi/tables/NFIT");
    const bytes = f.read(0, f.sizeBytes);
    const d = describeAcpiTable(bytes);
    return { file: input.file, bytes: bytes.length, ...d, valid: d.reasons.length === 0 };
  } finally {
    f.close();
  }
}

export const inspectAcpiCommand: Command<{ file: string }, InspectAcpiResult> = {
  name: "inspect acpi",
  summary: SUMMARY["inspect acpi"],
  run: inspectAcpi,
};
