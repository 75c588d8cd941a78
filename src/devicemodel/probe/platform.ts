// What a guest can touch: its ACPI tables (bytes), the _DSM mailbox page, and
// guest-physical memory. The probe guest uses nothing else, so whatever it
// finds, a real guest could find the same way.

export interface GuestMemory {
  read(gpa: bigint, length: number): Uint8Array;
  /** Throws GuestMemoryFault when the guest may not write there (unmapped, read-only, broken). */
  write(gpa: bigint, bytes: Uint8Array): void;
}

export class GuestMemoryFault extends Error {
  constructor(readonly gpa: bigint, readonly why: "unmapped" | "read-only" | "broken") {
    super(`guest memory fault at 0x${gpa.toString(16)}: ${why}`);
    this.name = "GuestMemoryFault";
  }
}

export interface GuestPlatform {
  readonly acpi: { readonly nfit?: Uint8Array; readonly ssdt?: Uint8Array };
  /** Writes the 4 KiB input page at MEMA and rings port 0x0A18; returns the output page. */
  dsm(page: Uint8Array): Uint8Array;
  readonly memory: GuestMemory;
}
