// The dashboard is built into dist/web, which `vnvdimm up` serves next to the API.
// Everything is bundled: the page loads nothing from outside the host.
import { defineConfig } from "vite";
import react from "@vitejs/plugin-react";
import { fileURLToPath } from "node:url";

const here = (p: string) => fileURLToPath(new URL(p, import.meta.url));

export default defineConfig({
  root: here("."),
  base: "./",
  plugins: [react()],
  logLevel: "warn",
  build: {
    outDir: here("../dist/web"),
    emptyOutDir: true,
    // Maps stay beside the bundle for debugging a checkout, unreferenced: the
    // package leaves them out (they name this machine's paths).
    sourcemap: "hidden",
    // Small enough that one chunk is right; no warning noise about it.
    chunkSizeWarningLimit: 1024,
  },
  server: {
    // `npm run dev:web` with `vnvdimm up` running: API calls go to the daemon.
    proxy: { "/api": "http://127.0.0.1:7070" },
  },
});
