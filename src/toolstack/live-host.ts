// The living host: one booted hypervisor, control domain and set of running
// domains that stays up for as long as `vnvdimm up` runs, as Xen and dom0 do
// while `xl` comes and goes. A running builtin domain keeps its device model
// and its probe guest, whose driver state (the FIT it last read, the bad
// ranges its last ARS found, the events it handled) lives until the domain is
// destroyed.
//
// Mutations still go through the toolstack's verbs, which take the lock,
// write the ledger and the media, and are crash-safe on their own. After
// each, sync() brings the living hypervisor and guests in line with the
// ledger: new running domains are started, stopped ones destroyed, an extent
// attached to a running domain is populated and hotplugged (the FIT changes,
// Notify 0x80, the guest re-reads it). A detach is the other way round and
// goes first (release()): the guest is told and re-reads the FIT, the slot is
// ejected and the pages leave the P2M, and only then does the toolstack zero
// and free them.
import { CONTROL_DOMID, type HypercallResult, type MceResult, type PmemSetupRequest, type PmemRegionInfo } from "../hypervisor/index.js";
import { addBadBlock, readBadBlocks } from "../host/index.js";
import { startBuiltinDomain, type BuiltinDomain } from "../backends/index.js";
import { scanDimm } from "../dom0/index.js";
import { setupReservations } from "./host-boot.js";
import { guestLayoutFor, populateExtent, startDomain, unpopulateExtent, type RunningDomain } from "./domain-boot.js";
import { ledgerStamp, readLedger, type LedgerDomain, type LedgerExtent } from "./ledger.js";
import { LifecycleError, isInterrupted, listDomainsOf, openToolstack, refuseInterrupted, type DomainList, type Toolstack } from "./lifecycle.js";

const held = (e: LedgerExtent) => e.state === "held";

const runsHere = (d: LedgerDomain) => d.status === "running" && !isInterrupted(d);

export interface LiveMce extends MceResult {
  /** The owner's name, when a domain owned the page. */
  domain: string | null;
  /** The owner's running guest was told (Notify 0x81) and ran ARS. */
  guestTold: boolean;
}

export class LiveHost {
  readonly #ts: Toolstack;
  readonly #guests = new Map<string, BuiltinDomain>();
  /** The ledger (snapshot and journal) as this host last read it: a change by another process (one that did not see the daemon) is picked up before the next answer. */
  #seen = "";

  private constructor(readonly state: string) {
    this.#seen = ledgerStamp(state);
    this.#ts = openToolstack(state);
    for (const d of this.#ts.ledger.domains) if (this.#ts.running.has(d.name)) this.#startGuest(d);
  }

  /** Boots the host from its state directory: hypervisor, dom0's reports, and every domain the ledger says runs. */
  static boot(state: string): LiveHost {
    return new LiveHost(state);
  }

  get toolstack(): Toolstack {
    if (ledgerStamp(this.state) !== this.#seen) this.sync();
    return this.#ts;
  }

  list(): DomainList {
    return listDomainsOf(this.toolstack);
  }

  /** A running builtin domain's guest, as it is now. */
  guest(name: string): BuiltinDomain {
    const d = this.toolstack.ledger.domains.find((x) => x.name === name);
    if (!d) throw new LifecycleError("domain.missing", `No domain named ${name}`, "see `vnvdimm list`", 2);
    refuseInterrupted(d);
    const g = this.#guests.get(name);
    if (g) return g;
    if (d.backend !== "builtin") throw new LifecycleError("domain.stopped", `Domain ${name} uses the ${d.backend} backend; its guest is a real Linux`, "ask it through the qemu guest agent (the `vnvdimm guest` verbs do)", 2);
    throw new LifecycleError("domain.stopped", `Domain ${name} is not running`, `start it with \`vnvdimm start ${name}\``, 1);
  }

  /**
   * Brings the hypervisor and the running guests in line with the ledger,
   * after a verb changed it. Returns the vNVDIMMs it hotplugged into running
   * guests.
   */
  sync(): { hotplugged: { name: string; id: string }[] } {
    const hotplugged: { name: string; id: string }[] = [];
    const ts = this.#ts;
    this.#seen = ledgerStamp(this.state);
    const ledger = readLedger(this.state);
    for (const [name, run] of [...ts.running]) {
      const d = ledger.domains.find((x) => x.name === name);
      if (d && runsHere(d)) continue;
      ts.booted.hv.domainDestroy(CONTROL_DOMID, run.domid);
      ts.running.delete(name);
      this.#guests.delete(name);
    }
    ts.failed = ts.failed.filter((f) => ledger.domains.some((d) => d.name === f.name && runsHere(d)));
    for (const d of ledger.domains.filter(runsHere)) {
      let run = ts.running.get(d.name);
      if (!run) {
        try {
          run = startDomain(ts.booted, d);
          ts.running.set(d.name, run);
          ts.failed = ts.failed.filter((f) => f.name !== d.name);
        } catch (e) {
          ts.failed.push({ name: d.name, message: (e as Error).message });
          continue;
        }
      }
      // A domain a verb started in this hypervisor (create) gets its guest here.
      if (!this.#guests.has(d.name)) this.#startGuest(d);
      hotplugged.push(...this.#hotplugNew(d, run).map((id) => ({ name: d.name, id })));
    }
    ts.ledger = ledger;
    return { hotplugged };
  }

  /**
   * The unplug handshake before a detach from a running domain: the guest is
   * told, re-reads the FIT and lets the namespace go; the slot is ejected;
   * the pages leave the domain. The toolstack then zeroes and frees them.
   */
  release(name: string, id: string): void {
    const run = this.#ts.running.get(name);
    const e = run?.extents.find((x) => (x.id === id || String(x.slot) === id) && held(x));
    const guest = this.#guests.get(name);
    // Only a builtin guest can be asked; QEMU cannot unplug, and the toolstack refuses that detach itself.
    if (!run || !e || !guest) return;
    const w = guest.deviceModel.layout.windows.find((x) => x.slot === e.slot);
    guest.unplug(e.slot);
    if (w) {
      const err = unpopulateExtent(this.#ts.booted, run.domid, w.gpa, e);
      if (err) throw new LifecycleError("domain.running", `Cannot take ${id} out of domain ${name}: ${err.errno} (${err.reason}): ${err.message}`);
    }
    run.extents = run.extents.filter((x) => x !== e);
    run.layout = guest.deviceModel.layout;
  }

  /** A machine check: the page is isolated, kept on the bad-block list, and the owner's running guest is told. */
  mce(mfn: number): HypercallResult<LiveMce> {
    const r = this.toolstack.booted.hv.mceInject(CONTROL_DOMID, mfn);
    if (!r.ok) return r;
    addBadBlock(this.state, mfn);
    if (!this.#ts.booted.broken.includes(mfn)) this.#ts.booted.broken.push(mfn);
    const owner = r.value.owner;
    const name = owner === undefined ? undefined : [...this.#ts.running.values()].find((x) => x.domid === owner)?.name;
    const guest = name ? this.#guests.get(name) : undefined;
    if (guest && !r.value.alreadyBroken) guest.deviceModel.reportUncorrectableError();
    return { ok: true, value: { ...r.value, domain: name ?? null, guestTold: guest !== undefined && !r.value.alreadyBroken } };
  }

  /** The pmem setup hypercall on the living hypervisor: it lasts until the host stops, as in Xen. */
  setup(req: PmemSetupRequest): HypercallResult<PmemRegionInfo> {
    return this.#ts.booted.hv.pmemSetup(CONTROL_DOMID, req);
  }

  /** Dom0 looks at the DIMMs again (after a reserve) and reports the reservations it had not reported. */
  rescanReservations(): void {
    const b = this.#ts.booted;
    const known = new Set(b.reservations.map((r) => r.namespace));
    for (const d of b.dimms) {
      d.scan = scanDimm(d.dsm, d.dimm, d.data);
      const found = setupReservations(b.hv, d, known);
      b.reservations.push(...found.reservations);
      b.skipped = [...b.skipped.filter((s) => s.handle !== d.dimm.handle), ...found.skipped];
    }
  }

  close(): void {
    this.#guests.clear();
    this.#ts.close();
  }

  #startGuest(d: LedgerDomain): void {
    const run = this.#ts.running.get(d.name);
    if (!run || d.backend !== "builtin") return;
    this.#guests.set(d.name, startBuiltinDomain({
      hv: this.#ts.booted.hv, domid: run.domid, media: this.#ts.booted.media, layout: run.layout,
      extents: run.extents.filter(held), brokenMfns: () => readBadBlocks(this.state),
    }));
  }

  /** Extents the ledger holds for a running domain that it does not map yet: attached while it ran. */
  #hotplugNew(d: LedgerDomain, run: RunningDomain): string[] {
    const done: string[] = [];
    const mapped = new Set(run.extents.filter(held).map((e) => e.id));
    const guest = this.#guests.get(d.name);
    for (const e of d.extents.filter((x) => held(x) && !mapped.has(x.id))) {
      // A builtin guest places the window through its device model; a qemu domain's windows are the toolstack's plan.
      const gpa = guest ? guest.plug({ ...e }).gpa : guestLayoutFor(d).windows.find((w) => w.slot === e.slot)?.gpa;
      const err = gpa === undefined ? undefined : populateExtent(this.#ts.booted, run.domid, gpa, e);
      if (gpa === undefined || err) {
        guest?.unplug(e.slot);
        this.#ts.failed.push({ name: d.name, message: `vNVDIMM ${e.id} could not be mapped: ${err ? `${err.errno} (${err.reason})` : "no window"}` });
        continue;
      }
      run.extents = [...run.extents.filter((x) => x.id !== e.id), e];
      done.push(e.id);
    }
    run.extents = d.extents.filter((x) => !held(x) || run.extents.some((y) => y.id === x.id));
    if (guest) run.layout = guest.deviceModel.layout;
    return done;
  }
}
