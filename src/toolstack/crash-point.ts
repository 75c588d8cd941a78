// Crash points for tests: VNVDIMM_CRASH_AT=<name> makes the process kill
// itself (SIGKILL, as kill -9 would) the first time it reaches <name>;
// <name>@<n> does so the n-th time, for a point a command passes more than
// once (a journal append happens at every mutation).
const hits = new Map<string, number>();

export function crashPoint(name: string): void {
  const at = process.env["VNVDIMM_CRASH_AT"];
  if (!at) return;
  const [point, nth] = at.split("@");
  if (point !== name) return;
  const n = (hits.get(name) ?? 0) + 1;
  hits.set(name, n);
  if (n === Number(nth ?? 1)) process.kill(process.pid, "SIGKILL");
}

