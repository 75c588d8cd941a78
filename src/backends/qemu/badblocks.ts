// Broken host pages told to a real Linux guest. QEMU's NVDIMM root device
// answers only _DSM function 0 (hw/acpi/nvdimm.c: no ARS), so the guest's
// nfit driver never lists a poisoned range. vnvdimm gives the guest agent
// the guest-physical ranges instead (fw_cfg opt/vnvdimm/badblocks at boot, a
// request while it runs); the agent writes them into the badblocks of the
// pmem block devices over them (guest/agent.sh, mark_badblocks).

export interface GuestBadRange {
  /** Guest-physical address of the broken page, and its length. */
  gpa: bigint;
  bytes: bigint;
}

/** What the agent reads: one "<0x address> <bytes>" line per range, after a comment line. */
export function badRangesText(ranges: readonly GuestBadRange[]): string {
  return ["# broken pages: guest physical address, bytes", ...ranges.map((r) => `0x${r.gpa.toString(16)} ${r.bytes}`)].join("\n") + "\n";
}

/** The request that marks ranges in a running guest (the agent is /run/agent.sh there). */
export function markBadRangesScript(ranges: readonly GuestBadRange[]): string {
  return `sh /run/agent.sh --mark-badblocks <<'VNVDIMM_BAD'\n${badRangesText(ranges)}VNVDIMM_BAD\n`;
}

export interface MarkResult {
  /** Each block device range written into a badblocks list (512-byte sectors of that device). */
  marked: { device: string; sector: bigint; count: number }[];
  /** Ranges no pmem block device covers (BTT, device-DAX, an info block, no namespace): the guest was not told. */
  unmarked: GuestBadRange[];
}

/** The agent's report, from a request's stdout or the console's @@@VNVDIMM-BADBLOCK …@@@ lines. Never throws. */
export function parseMarkOutput(text: string): MarkResult {
  const out: MarkResult = { marked: [], unmarked: [] };
  for (const line of text.split("\n")) {
    const m = /(?:^|@@@VNVDIMM-BADBLOCK )marked (pmem\w+) (\d+) (\d+)/.exec(line);
    if (m) { out.marked.push({ device: m[1]!, sector: BigInt(m[2]!), count: Number(m[3]!) }); continue; }
    const u = /(?:^|@@@VNVDIMM-BADBLOCK )unmarked (0x[0-9a-f]+) (\d+)/.exec(line);
    if (u) out.unmarked.push({ gpa: BigInt(u[1]!), bytes: BigInt(u[2]!) });
  }
  return out;
}
