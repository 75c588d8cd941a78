// Reading and writing a namespace the way the guest's block or dax device
// does: past the info block (PFN/DAX data offset), through the BTT for a
// sector namespace, or from byte 0 for raw. Writes to a read-only (unarmed)
// region are refused, as Linux refuses them.
import { openBtt, type InfoBlockDetection } from "../../formats/index.js";
import type { GuestMemory } from "./platform.js";

export interface GuestNamespace {
  uuid: string | null;
  name: string;
  handle: number;
  dpa: bigint;
  rawsize: bigint;
  gpa: bigint;
  readOnly: boolean;
  mode: InfoBlockDetection["mode"];
  infoBlock: InfoBlockDetection;
}

export class NamespaceIoError extends Error {
  constructor(readonly code: "io.range" | "io.read-only" | "io.alignment", message: string) {
    super(message);
    this.name = "NamespaceIoError";
  }
}

export class NamespaceIo {
  readonly sizeBytes: bigint;
  readonly #base: bigint;
  readonly #btt: ReturnType<typeof openBtt> | undefined;

  constructor(private readonly memory: GuestMemory, private readonly ns: GuestNamespace) {
    const ib = ns.infoBlock;
    if (ib.kind === "pfn" || ib.kind === "dax") {
      const b = ib.block as { dataoff: bigint; endTrunc: number };
      this.#base = ns.gpa + b.dataoff;
      this.sizeBytes = ns.rawsize - b.dataoff - BigInt(b.endTrunc);
    } else if (ib.kind === "btt") {
      this.#base = ns.gpa;
      this.#btt = openBtt({
        read: (off, len) => memory.read(ns.gpa + off, len),
        write: (off, bytes) => memory.write(ns.gpa + off, bytes),
      }, { namespaceSizeBytes: ns.rawsize });
      this.sizeBytes = BigInt(this.#btt.nlba) * BigInt(this.#btt.sectorSize);
    } else {
      this.#base = ns.gpa;
      this.sizeBytes = ns.rawsize;
    }
  }

  private check(offset: bigint, length: number): void {
    if (offset < 0n || length < 0 || offset + BigInt(length) > this.sizeBytes) {
      throw new NamespaceIoError("io.range", `${length} bytes at ${offset} lie outside the ${this.sizeBytes}-byte namespace`);
    }
  }

  read(offset: bigint, length: number): Uint8Array {
    this.check(offset, length);
    if (!this.#btt) return this.memory.read(this.#base + offset, length);
    const ss = BigInt(this.#btt.sectorSize);
    const first = offset / ss, last = (offset + BigInt(length) + ss - 1n) / ss;
    const blocks = this.#btt.read(Number(first), Number(last - first));
    const skip = Number(offset - first * ss);
    return blocks.slice(skip, skip + length);
  }

  write(offset: bigint, bytes: Uint8Array): void {
    this.check(offset, bytes.length);
    if (this.ns.readOnly) throw new NamespaceIoError("io.read-only", `namespace ${this.ns.uuid ?? "(label-less)"} is on a read-only (unarmed) region`);
    if (!this.#btt) { this.memory.write(this.#base + offset, bytes); return; }
    const ss = BigInt(this.#btt.sectorSize);
    const first = offset / ss, last = (offset + BigInt(bytes.length) + ss - 1n) / ss;
    // Read-modify-write of partial sectors, as the block layer does.
    const buf = this.#btt.read(Number(first), Number(last - first));
    buf.set(bytes, Number(offset - first * ss));
    this.#btt.write(Number(first), buf);
  }
}
