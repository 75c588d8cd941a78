// The guest-side files (the initramfs /init and the guest agent) are shell
// scripts kept in the source tree next to this backend,
// src/backends/qemu/guest/. A checkout reads them there (from
// dist/src/backends/qemu/ that is four levels up), so an edit needs no
// build; the CLI's build copies them to dist/src/backends/qemu/guest/, which
// is where the installed package, which has no src/, keeps them.
import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { SetupError } from "./setup/setup-error.js";

const CANDIDATES = ["../../../../src/backends/qemu/guest/", "./guest/"];

export function guestFilesDir(): string {
  for (const rel of CANDIDATES) {
    const dir = fileURLToPath(new URL(rel, import.meta.url));
    if (existsSync(`${dir}init`)) return dir;
  }
  throw new SetupError("setup.image-missing", "vnvdimm's guest files (src/backends/qemu/guest/ in a checkout, dist/src/backends/qemu/guest/ in the package) are missing",
    "run `npm run build` in a checkout, or reinstall the package");
}

export const guestFile = (name: "init" | "agent.sh" | "daxio.pl"): string => `${guestFilesDir()}${name}`;
