// The invariants the property tests check after every hypercall. Exported so
// that the toolstack's tests can check them too.
import { BROKEN, FrameKind, isBroken, isOwned, kindName, kindOf } from "./frame-state.js";
import type { Hypervisor } from "./hypervisor.js";

/**
 * Problems, or an empty list when:
 * - every P2M extent and label extent covers data pages owned by its domain
 *   whose M2P entry names the same gfn (P2M ⊆ M2P), and no usable entry
 *   reaches a broken page (broken ones are typed broken, Xen's p2m_ram_broken);
 * - every owned page is reached by exactly that entry of an existing domain
 *   (M2P ⊆ P2M), so no page is owned twice and none leaks;
 * - management regions hold only management pages, so none is ever mapped;
 * - each domain's page counts match the frames it owns.
 */
export function checkInvariants(hv: Hypervisor): string[] {
  const problems: string[] = [];
  const owned = new Map<number, number>();
  for (const run of hv.frameRuns()) {
    const where = `mfns [${run.mfn}, ${run.mfn + run.nr})`;
    if (run.region === "mgmt") {
      if (kindOf(run.state) !== FrameKind.mgmt) problems.push(`${where} in a management region are ${kindName(run.state)}`);
      continue;
    }
    if (kindOf(run.state) === FrameKind.mgmt) problems.push(`${where} in a data region are management pages`);
    if (!isOwned(run.state)) continue;
    owned.set(run.owner, (owned.get(run.owner) ?? 0) + run.nr);
    const d = hv.domain(run.owner);
    if (!d) {
      problems.push(`${where} are owned by domain ${run.owner}, which does not exist`);
      continue;
    }
    if (kindOf(run.state) === FrameKind.data) {
      let covered = 0;
      for (const e of d.p2mExtents(run.gfn, run.nr)) {
        if (e.mfn !== run.mfn + (e.gfn - run.gfn) || e.broken !== isBroken(run.state)) {
          problems.push(`${where}: M2P says gfn ${run.gfn}+ of domain ${run.owner}, but its P2M maps gfn ${e.gfn} to mfn ${e.mfn}${e.broken ? " (broken)" : ""}`);
        }
        covered += e.nr;
      }
      if (covered !== run.nr) problems.push(`${where}: M2P says gfn ${run.gfn}+ of domain ${run.owner}; its P2M maps only ${covered} of them`);
    } else {
      for (let k = 0; k < run.nr; k++) {
        if (labelMfn(d.labelExtents(), run.gfn + k) !== run.mfn + k) {
          problems.push(`mfn ${run.mfn + k} is label page ${run.gfn + k} of domain ${run.owner}, which does not list it`);
          break;
        }
      }
    }
  }
  for (const id of hv.domainIds()) {
    const d = hv.domain(id)!;
    for (const e of d.p2mExtents()) checkReach(hv, problems, id, e.gfn, e.mfn, e.nr, e.broken ? FrameKind.data | BROKEN : FrameKind.data, "gfn");
    for (const l of d.labelExtents()) checkReach(hv, problems, id, l.index, l.mfn, l.nr, FrameKind.label, "label page");
    const frames = owned.get(id) ?? 0;
    if (frames !== d.dataPages + d.labelPages) problems.push(`domain ${id} owns ${frames} frames but counts ${d.dataPages} data + ${d.labelPages} label pages`);
  }
  for (const owner of owned.keys()) if (!hv.domain(owner)) problems.push(`frames owned by missing domain ${owner}`);
  return problems;
}

function checkReach(hv: Hypervisor, problems: string[], domid: number, gfn: number, mfn: number, nr: number, state: number, what: string): void {
  let covered = 0;
  for (const run of hv.frameRuns(mfn, mfn + nr)) {
    covered += run.nr;
    const label = kindOf(state) === FrameKind.label;
    const stateOk = label ? kindOf(run.state) === FrameKind.label : run.state === state;
    if (run.region !== "data" || !stateOk || run.owner !== domid || run.gfn !== gfn + (run.mfn - mfn)) {
      problems.push(`domain ${domid} ${what} ${gfn + (run.mfn - mfn)} reaches mfn ${run.mfn}, a ${run.region} page in state ${kindName(run.state)}${isBroken(run.state) ? "+broken" : ""} of domain ${run.owner} with gfn ${run.gfn}`);
    }
  }
  if (covered !== nr) problems.push(`domain ${domid} ${what}s [${gfn}, ${gfn + nr}) reach mfns outside every set-up region`);
}

function labelMfn(labels: readonly { index: number; mfn: number; nr: number }[], index: number): number | undefined {
  const l = labels.find((x) => x.index <= index && index < x.index + x.nr);
  return l && l.mfn + (index - l.index);
}
