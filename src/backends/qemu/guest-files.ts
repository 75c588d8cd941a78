// The guest-side files (the initramfs /init and the guest agent) are shell
// scripts kept in the source tree next to this backend,
// src/backends/qemu/guest/. tsc does not copy them to dist/, so they are
// read from the checkout: from dist/src/backends/qemu/ that is four levels up.
import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { SetupError } from "./setup/setup-error.js";

const CANDIDATES = ["../../../../src/backends/qemu/guest/", "./guest/"];

export function guestFilesDir(): string {
  for (const rel of CANDIDATES) {
    const dir = fileURLToPath(new URL(rel, import.meta.url));
    if (existsSync(`${dir}init`)) return dir;
  }
  throw new SetupError("setup.image-missing", "vnvdimm's guest files (src/backends/qemu/guest/) are not next to its code", "run vnvdimm from a complete checkout");
}

export const guestFile = (name: "init" | "agent.sh" | "daxio.pl"): string => `${guestFilesDir()}${name}`;
