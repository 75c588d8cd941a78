// `npm run bench`: runs the benchmarks and prints one table.
//   --json            rows as JSON
//   --only a,b        only these benches (formats, hypervisor, guests, qemu, living, ledger, image)
// bench/hypervisor.ts is optional: when it is compiled, its exported bench
// function runs too; it may return rows or print its own.
import { benchFormats } from "./formats.js";
import { isBenchRow, printRows, type BenchRow } from "./table.js";

type Bench = () => Promise<unknown>;

class UsageError extends Error {}

/** The first exported function of an optional bench module, or undefined when the module is absent. */
async function optional(file: string, preferred: string): Promise<Bench | undefined> {
  let mod: Record<string, unknown>;
  try {
    mod = (await import(new URL(file, import.meta.url).href)) as Record<string, unknown>;
  } catch (e) {
    const err = e as { code?: string; url?: string; message?: string };
    // Only the module itself being absent is a skip; a broken import inside it is an error.
    if (err.code === "ERR_MODULE_NOT_FOUND" && (err.message ?? "").includes(file.replace("./", ""))) return undefined;
    throw e;
  }
  const fn = [mod[preferred], ...Object.values(mod)].find((x): x is Bench => typeof x === "function");
  return fn;
}

const BENCHES: Readonly<Record<string, () => Promise<Bench | undefined>>> = {
  formats: async () => () => benchFormats(),
  hypervisor: () => optional("./hypervisor.js", "benchHypervisor"),
  guests: () => optional("./guests.js", "benchGuests"),
  qemu: () => optional("./qemu.js", "benchQemu"),
  living: () => optional("./living-host.js", "benchLivingHost"),
  ledger: () => optional("./ledger.js", "benchLedger"),
  image: () => optional("./image.js", "benchImage"),
};

function parseArgs(argv: readonly string[]): { json: boolean; only: string[] } {
  const only: string[] = [];
  let json = false;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === "--json") json = true;
    else if (a === "--only") only.push(...(argv[++i] ?? "").split(","));
    else if (a.startsWith("--only=")) only.push(...a.slice(7).split(","));
    else throw new UsageError(`bench: unknown argument ${a} (use --json, --only ${Object.keys(BENCHES).join(",")})`);
  }
  const unknown = only.filter((n) => !(n in BENCHES));
  if (unknown.length > 0) throw new UsageError(`bench: no bench named ${unknown.join(", ")} (have ${Object.keys(BENCHES).join(", ")})`);
  return { json, only };
}

async function main(): Promise<void> {
  const { json, only } = parseArgs(process.argv.slice(2));
  const rows: BenchRow[] = [];
  for (const [name, load] of Object.entries(BENCHES)) {
    if (only.length > 0 && !only.includes(name)) continue;
    const bench = await load();
    if (!bench) {
      process.stderr.write(`bench: ${name} is not built; skipped\n`);
      continue;
    }
    process.stderr.write(`bench: ${name}…\n`);
    const out = await bench();
    if (Array.isArray(out)) {
      const bad = out.filter((r) => !isBenchRow(r));
      if (bad.length > 0) throw new Error(`bench: ${name} returned ${bad.length} rows that are not BenchRows`);
      rows.push(...(out as BenchRow[]));
    }
  }
  printRows(rows, json);
}

main().catch((e: unknown) => {
  const usage = e instanceof UsageError;
  process.stderr.write(`${usage ? e.message : e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
  process.exitCode = usage ? 2 : 1;
});
