// Why `vnvdimm setup qemu` (or a qemu domain that needs its results) cannot go on.
export type SetupErrorCode =
  | "setup.needs-root" | "setup.no-apt" | "setup.apt-failed" | "setup.qemu-too-old" | "setup.qemu-missing"
  | "setup.kernel-missing" | "setup.tool-missing" | "setup.build-failed" | "setup.image-missing";

export class SetupError extends Error {
  constructor(readonly code: SetupErrorCode, message: string, readonly hint?: string) {
    super(message);
    this.name = "SetupError";
  }
  toJSON(): object {
    return { error: this.code, message: this.message, ...(this.hint ? { hint: this.hint } : {}) };
  }
}
