// vnvdimm's version, from its package.json: three levels above this module's
// compiled file, dist/src/api/version.js, in a checkout and in the installed
// package alike (the CLI's bundle keeps module URLs: scripts/cli.vite.config.mjs).
// Read when asked, not at load, so start-up reads no file for it.
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";

let cached: string | undefined;

/** The package's version, e.g. "0.1.0"; "0.0.0" when package.json cannot be read. */
export function packageVersion(): string {
  if (cached === undefined) {
    try {
      const pkg = JSON.parse(readFileSync(fileURLToPath(new URL("../../../package.json", import.meta.url)), "utf8")) as { version?: unknown };
      cached = typeof pkg.version === "string" ? pkg.version : "0.0.0";
    } catch {
      cached = "0.0.0";
    }
  }
  return cached;
}
