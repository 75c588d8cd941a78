// The CLI's bundle, dist/cli/: what `vnvdimm VERB` loads at start-up in one
// file (main.cjs: commander, the command definitions, the daemon client), and
// in chunks beside it what a verb that runs in its own process imports when it
// runs. Built from tsc's output (dist/src), so the bundle runs the very code
// the tests run; bin/vnvdimm prefers it to dist/src/cli/main.js. CommonJS,
// because Node 20 sets up its ES module loader for an ES module entry, which
// costs a verb more than its HTTP call. Node's built-ins and fs-ext (a native
// addon) stay outside; commander and zod are inlined, which loads faster than
// their many files. Not minified: stack traces stay readable, and it saved
// about 2 ms.
import { cpSync } from "node:fs";
import { dirname, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { defineConfig } from "vite";

const root = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const outDir = resolve(root, "dist/cli");
const compiled = resolve(root, "dist/src");

/**
 * A module that finds files next to itself (`new URL("../../web/",
 * import.meta.url)`) must still find them from its chunk: its import.meta.url
 * becomes the URL of its compiled file in dist/src, relative to the chunk.
 */
function keepModuleUrls() {
  return {
    name: "vnvdimm-keep-module-urls",
    transform(code, id) {
      if (!id.startsWith(compiled + "/") || !code.includes("import.meta.url")) return null;
      const rel = relative(outDir, id).split("\\").join("/");
      return { code: code.replaceAll("import.meta.url", `new URL(${JSON.stringify(rel)}, import.meta.url).href`), map: null };
    },
  };
}

/**
 * commander requires node:child_process at load, for executable subcommands,
 * which vnvdimm has none of; loading it (and net, dgram) costs every verb.
 * Here it is required when first used instead.
 */
function lazyChildProcess() {
  const eager = "const childProcess = require('node:child_process');";
  return {
    name: "vnvdimm-lazy-child-process",
    transform(code, id) {
      if (!/[\\/]commander[\\/]lib[\\/]command\.js$/.test(id)) return null;
      if (!code.includes(eager)) {
        this.warn("commander/lib/command.js no longer requires node:child_process as expected: the CLI loads it at start-up");
        return null;
      }
      return { code: code.replace(eager, "const childProcess = { spawn: (...a) => require('node:child_process').spawn(...a) };"), map: null };
    },
  };
}

/**
 * The qemu backend's guest-side files (src/backends/qemu/guest/: the
 * initramfs /init, the agent) are shell and Perl scripts that tsc does not
 * copy. They go to dist/src/backends/qemu/guest/, where guest-files.ts looks
 * when there is no src/ beside dist/, as in the installed package.
 */
function copyGuestFiles() {
  return {
    name: "vnvdimm-copy-guest-files",
    closeBundle() {
      cpSync(resolve(root, "src/backends/qemu/guest"), resolve(compiled, "backends/qemu/guest"), { recursive: true });
    },
  };
}

export default defineConfig({
  root,
  logLevel: "warn",
  plugins: [keepModuleUrls(), lazyChildProcess(), copyGuestFiles()],
  ssr: { noExternal: ["commander", "zod"], external: ["fs-ext"] },
  build: {
    ssr: resolve(compiled, "cli/main.js"),
    outDir,
    emptyOutDir: true,
    target: "node20",
    minify: false,
    copyPublicDir: false,
    rolldownOptions: {
      output: { format: "cjs", strict: true, entryFileNames: "main.cjs", chunkFileNames: "[name]-[hash].cjs" },
    },
  },
});
