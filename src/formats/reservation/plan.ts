// Where the management and data areas go inside a reserved namespace.
// Both start on `align` (2 MiB by default, so huge pages map the data area);
// the management area comes first and holds `bytesPerPage` per data page,
// plus one page for its own header.
import { alignDownBig, alignUpBig } from "../units.js";
import { RESERVATION_OFFSET, RESERVATION_RECORD_BYTES } from "./record.js";

export interface ReservationPlan {
  mgmtOffset: bigint;
  mgmtSize: bigint;
  dataOffset: bigint;
  dataSize: bigint;
}

const PAGE = 4096n;

/** The largest data area that fits, or undefined when the namespace is too small for one aligned page run. */
export function planReservation(namespaceSizeBytes: bigint, opts: { mgmtInPmem: boolean; bytesPerPage: number; alignBytes?: number }): ReservationPlan | undefined {
  const align = BigInt(opts.alignBytes ?? 2 * 1024 * 1024);
  const first = alignUpBig(BigInt(RESERVATION_OFFSET + RESERVATION_RECORD_BYTES), align);
  if (!opts.mgmtInPmem) {
    const dataSize = alignDownBig(namespaceSizeBytes - first, align);
    return dataSize > 0n ? { mgmtOffset: first, mgmtSize: 0n, dataOffset: first, dataSize } : undefined;
  }
  // data + mgmt(data) ≤ room, with mgmt = align_up(pages·bpp): solve for data, then step down until it fits.
  const room = namespaceSizeBytes - first;
  if (room <= 0n) return undefined;
  const bpp = BigInt(opts.bytesPerPage);
  let dataSize = alignDownBig((room * PAGE) / (PAGE + bpp), align);
  while (dataSize > 0n) {
    const mgmtSize = alignUpBig((dataSize / PAGE) * bpp + PAGE, align);
    if (mgmtSize + dataSize <= room) return { mgmtOffset: first, mgmtSize, dataOffset: first + mgmtSize, dataSize };
    dataSize -= align;
  }
  return undefined;
}
