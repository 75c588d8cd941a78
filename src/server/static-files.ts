// The dashboard's built files (dist/web), read-only, never outside that folder.
import { createReadStream, statSync } from "node:fs";
import type { IncomingMessage, ServerResponse } from "node:http";
import { extname, join, normalize, sep } from "node:path";
import { fileURLToPath } from "node:url";

/** dist/web, next to this file's dist/src/server. */
export const DEFAULT_WEB_DIR = fileURLToPath(new URL("../../web/", import.meta.url));

const TYPES: Record<string, string> = {
  ".html": "text/html; charset=utf-8", ".js": "text/javascript; charset=utf-8", ".mjs": "text/javascript; charset=utf-8",
  ".css": "text/css; charset=utf-8", ".json": "application/json", ".map": "application/json", ".svg": "image/svg+xml",
  ".png": "image/png", ".ico": "image/x-icon", ".woff2": "font/woff2", ".woff": "font/woff", ".txt": "text/plain; charset=utf-8",
};

// Everything the page needs comes from here; nothing may frame it.
const CSP = "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; connect-src 'self'; object-src 'none'; base-uri 'self'; frame-ancestors 'none'";

function fileAt(dir: string, urlPath: string): string | undefined {
  let rel: string;
  try { rel = decodeURIComponent(urlPath); } catch { return undefined; }
  if (rel.includes("\0")) return undefined;
  const p = normalize(join(dir, rel));
  if (p !== dir && !p.startsWith(dir.endsWith(sep) ? dir : dir + sep)) return undefined;
  try {
    const st = statSync(p);
    if (st.isFile()) return p;
    if (st.isDirectory()) {
      const index = join(p, "index.html");
      if (statSync(index).isFile()) return index;
    }
  } catch { /* not there */ }
  return undefined;
}

/** Serves GET/HEAD of a file under `dir`; returns false when there is none (the caller answers 404). */
export function serveStatic(dir: string, req: IncomingMessage, res: ServerResponse, urlPath: string): boolean {
  const p = fileAt(dir, urlPath);
  if (!p) return false;
  const type = TYPES[extname(p)] ?? "application/octet-stream";
  res.writeHead(200, {
    "Content-Type": type,
    "Content-Length": statSync(p).size,
    // Built assets carry a content hash in their name; the page itself must be re-read.
    "Cache-Control": p.endsWith(".html") ? "no-cache" : "public, max-age=3600",
    "X-Content-Type-Options": "nosniff",
    "Content-Security-Policy": CSP,
    "Referrer-Policy": "no-referrer",
  });
  if (req.method === "HEAD") { res.end(); return true; }
  // A file removed under us (a rebuild) ends the response instead of the process.
  createReadStream(p).on("error", () => res.destroy()).pipe(res);
  return true;
}
