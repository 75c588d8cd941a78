// The CLI run in this process with its output captured, and the
// normalisation that makes two runs comparable. A verb finding no host runs
// here (as with VNVDIMM_NO_AUTOSTART=1): the parity test compares exactly
// that with a served state directory.
import { run } from "../../src/cli/main.js";

export async function cli(argv: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = "", err = "";
  const code = await run(argv, { out: (t) => { out += typeof t === "string" ? t : Buffer.from(t).toString("utf8"); }, err: (t) => { err += t; } }, { autostart: false });
  return { code, out, err };
}

/**
 * Replaces what differs between runs by construction: the directory (as
 * `<DIR>`), random UUIDs (numbered by first appearance, still 36 characters
 * so that table columns stay aligned) and ISO times.
 */
export function normalise(text: string, dir: string): string {
  const ids = new Map<string, string>();
  return text.split(dir).join("<DIR>")
    .replace(/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/g, (u) => {
      if (!ids.has(u)) ids.set(u, `00000000-0000-0000-0000-${String(ids.size + 1).padStart(12, "0")}`);
      return ids.get(u)!;
    })
    .replace(/\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z/g, "<time>");
}
