// The reservations this host has seen. Media are the truth for what a
// reservation *is*; this list is only the host's memory that one *was* there,
// so that a boot which no longer finds it (a record damaged, or a namespace
// that a Linux `ndctl create-namespace -f` turned into fsdax) says so loudly
// instead of quietly having no reservation.
import { join } from "node:path";
import { z } from "zod";
import { readJson, writeJson } from "./state-json.js";

const dec = z.string().regex(/^\d+$/);
const KnownSchema = z.object({
  reservations: z.array(z.object({
    uuid: z.string(), handle: z.number().int().nonnegative(), namespace: z.string().nullable(), dpa: dec, sizeBytes: dec,
  }).strict()),
}).strict();

export interface KnownReservation {
  /** The record's own uuid. */
  uuid: string;
  handle: number;
  /** The namespace label uuid; null for a label-less namespace. */
  namespace: string | null;
  dpa: bigint;
  sizeBytes: bigint;
}

const knownPath = (state: string) => join(state, "host", "reservations.json");
const HINT = "remove the file: the next boot remembers the reservations it finds (and forgets the lost ones)";

export function readKnownReservations(state: string): KnownReservation[] {
  return readJson(knownPath(state), KnownSchema, { reservations: [] }, HINT).reservations.map((r) => ({ ...r, dpa: BigInt(r.dpa), sizeBytes: BigInt(r.sizeBytes) }));
}

function write(state: string, list: readonly KnownReservation[]): void {
  writeJson(knownPath(state), { reservations: list.map((r) => ({ ...r, dpa: r.dpa.toString(), sizeBytes: r.sizeBytes.toString() })) });
}

const overlaps = (a: KnownReservation, b: KnownReservation): boolean => a.handle === b.handle && a.dpa < b.dpa + b.sizeBytes && b.dpa < a.dpa + a.sizeBytes;

/**
 * Adds the reservations `found` that are not known yet. A new one replaces a
 * known one whose space it overlaps (the administrator reserved that space
 * again). Writes only when something changed. Boots that run at once may
 * each miss the other's addition; the next boot adds it again while the
 * reservation is on the media, so nothing is forgotten for good.
 */
export function rememberReservations(state: string, found: readonly KnownReservation[]): void {
  const known = readKnownReservations(state);
  const fresh = found.filter((f) => !known.some((k) => k.uuid === f.uuid));
  if (!fresh.length) return;
  write(state, [...known.filter((k) => !fresh.some((f) => overlaps(f, k))), ...fresh]);
}

/** Forgets one reservation (an administrator acknowledging its loss); false when it was not known. */
export function forgetReservation(state: string, uuid: string): boolean {
  const known = readKnownReservations(state);
  const rest = known.filter((k) => k.uuid !== uuid.toLowerCase());
  if (rest.length === known.length) return false;
  write(state, rest);
  return true;
}

/** A new machine (host init) has seen nothing yet. */
export function forgetAllReservations(state: string): void {
  write(state, []);
}
