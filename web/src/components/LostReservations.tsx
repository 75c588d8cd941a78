// A reservation the host used to find and no longer does: shown above
// everything, because the domains with pages there can no longer start.
// Acknowledging it is `vnvdimm pmem forget UUID` (nothing on the media
// changes), so the banner says how.
import type { HostStatus } from "../api/types";

export function LostReservations({ lost }: { lost: HostStatus["lost"] }) {
  if (!lost?.length) return null;
  return (
    <section className="lost-reservations" role="alert" aria-labelledby="lost-heading">
      <h2 id="lost-heading">{lost.length === 1 ? "A reservation is lost" : `${lost.length} reservations are lost`}</h2>
      <ul>
        {lost.map((l) => (
          <li key={l.uuid} data-reservation={l.uuid}>
            <strong>{l.uuid}</strong> on DIMM handle 0x{l.handle.toString(16)}: {l.found}.
          </li>
        ))}
      </ul>
      <p>Its pages are no longer the hypervisor's; domains with extents there cannot start, and nothing was repaired. Restore the NVDIMM, or acknowledge the loss with <code>vnvdimm pmem forget UUID</code>.</p>
    </section>
  );
}
