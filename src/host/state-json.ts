// Small JSON files of host state (boot options, bad blocks, known
// reservations): replaced atomically, private, and read through a schema so
// that a hand-edited file gets one line saying what is wrong.
import { randomBytes } from "node:crypto";
import { existsSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { dirname } from "node:path";
import type { z } from "zod";
import { HostError } from "./host-error.js";
import { PRIVATE_FILE_MODE, makePrivateDir } from "./state-dir.js";

export function writeJson(path: string, v: unknown): void {
  makePrivateDir(dirname(path));
  // A temp name of this process's own: two processes writing at once (boots that remember reservations)
  // must not write into one temp file, or the rename publishes their bytes interleaved.
  const tmp = `${path}.${process.pid}.${randomBytes(4).toString("hex")}.tmp`;
  writeFileSync(tmp, JSON.stringify(v, null, 2) + "\n", { mode: PRIVATE_FILE_MODE });
  renameSync(tmp, path);
}

export function readJson<T>(path: string, schema: z.ZodType<T>, fallback: T, hint: string): T {
  if (!existsSync(path)) return fallback;
  const corrupt = (why: string) => new HostError("host.corrupt", `Cannot read ${path}: ${why}`, hint);
  let raw: unknown;
  try { raw = JSON.parse(readFileSync(path, "utf8")); } catch (e) {
    if (e instanceof SyntaxError) throw corrupt("not JSON");
    throw e;
  }
  const r = schema.safeParse(raw);
  if (!r.success) throw corrupt(`${r.error.issues[0]?.path.join(".") || "the file"}: ${r.error.issues[0]?.message ?? "invalid"}`);
  return r.data;
}
