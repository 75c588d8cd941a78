// The one error type of src/devicemodel. It is for the toolstack's input (a
// layout that cannot be built, a slot plugged twice); guest input never throws,
// it gets a _DSM status (DESIGN.md, "Three kinds of error").

export type DeviceModelErrorCode =
  | "layout.ram"
  | "layout.slot"
  | "layout.size"
  | "layout.node"
  | "layout.no-room"
  | "layout.maxmem"
  | "fit.slot-in-use";

export class DeviceModelError extends Error {
  readonly code: DeviceModelErrorCode;
  readonly data: Readonly<Record<string, unknown>>;
  constructor(code: DeviceModelErrorCode, message: string, data: Record<string, unknown> = {}) {
    super(message);
    this.name = "DeviceModelError";
    this.code = code;
    this.data = data;
  }
  toJSON(): object {
    return { error: this.name, code: this.code, message: this.message, ...this.data };
  }
}
