// Frame records in the management area on the NVDIMM (pmem_mgmt=pmem). RAM
// keeps only the chunk descriptors and a few decoded chunks, like a CPU
// cache over the NVDIMM; the per-page records of fragmented chunks live on
// the media, so fragmentation costs no RAM, and every change is written
// through: the "saves RAM, but slower" of the 2016 design note.
import type { Media } from "../media/index.js";
import type { FrameInfo } from "./frame-state.js";
import { DENSE_BYTES_PER_PAGE, JS_OBJECT_BYTES, newDenseChunk, type ChunkDescriptors, type DenseChunk, type FrameBacking } from "./frame-backing.js";
import { FRAME_TABLE_SIGNATURE, FRAME_TABLE_VERSION, FrameRecord, FrameTableHeader, type MgmtLayout } from "./mgmt-layout.js";

const REC = FrameRecord.size;
const AT_STATE = FrameRecord.offsetOf("state");
const AT_OWNER = FrameRecord.offsetOf("owner");
const AT_GFN = FrameRecord.offsetOf("gfn");

/** Decoded chunks kept: 4 × 28 KiB. Enough for a hypercall's head and tail chunks. */
const CACHED_CHUNKS = 4;

export class PmemFrameBacking implements FrameBacking {
  readonly placement = "pmem";
  /** Write-through cache of decoded chunks, most recent last. */
  private readonly cache = new Map<number, DenseChunk>();

  /** `base` is the media offset of the area; media errors propagate (the caller treats them as a machine check). */
  constructor(
    private readonly media: Media,
    private readonly base: bigint,
    private readonly layout: MgmtLayout,
    private readonly chunkPages: number,
  ) {}

  /** Writes the header and every descriptor: the setup-time write, the only one until pages change state. */
  format(dataSmfn: number, nrPages: number, descriptors: ChunkDescriptors): void {
    const header = FrameTableHeader.encode({
      signature: FRAME_TABLE_SIGNATURE, version: FRAME_TABLE_VERSION, recordBytes: REC, chunkPages: this.chunkPages,
      dataSmfn: BigInt(dataSmfn), nrPages: BigInt(nrPages), descriptorOffset: BigInt(this.layout.descriptorOffset),
      recordOffset: BigInt(this.layout.recordOffset), areaBytes: BigInt(this.layout.areaBytes),
    });
    this.media.write(this.base, header);
    this.descriptorsChanged(descriptors, 0, descriptors.state.length);
  }

  create(chunk: number, length: number): DenseChunk {
    return this.remember(chunk, newDenseChunk(length));
  }

  load(chunk: number, length: number): DenseChunk {
    const hit = this.cache.get(chunk);
    if (hit) return this.remember(chunk, hit);
    const bytes = this.media.read(this.recordAt(chunk * this.chunkPages), length * REC);
    return this.remember(chunk, decodeRecords(bytes, length));
  }

  store(chunk: number, records: DenseChunk, k0: number, k1: number): void {
    const bytes = new Uint8Array((k1 - k0) * REC);
    const dv = new DataView(bytes.buffer);
    for (let k = k0; k < k1; k++) writeRecord(dv, (k - k0) * REC, records.state[k]!, records.owner[k]!, records.gfn[k]!);
    this.media.write(this.recordAt(chunk * this.chunkPages + k0), bytes);
  }

  record(chunk: number, k: number): FrameInfo {
    const hit = this.cache.get(chunk);
    if (hit) return { state: hit.state[k]!, owner: hit.owner[k]!, gfn: hit.gfn[k]! };
    const bytes = this.media.read(this.recordAt(chunk * this.chunkPages + k), REC);
    const dv = new DataView(bytes.buffer);
    return { state: dv.getUint8(AT_STATE), owner: dv.getUint16(AT_OWNER, true), gfn: dv.getUint32(AT_GFN, true) };
  }

  drop(chunk: number): void {
    this.cache.delete(chunk);
  }

  descriptorsChanged(d: ChunkDescriptors, first: number, end: number): void {
    if (end <= first) return;
    const bytes = new Uint8Array((end - first) * REC);
    const dv = new DataView(bytes.buffer);
    for (let c = first; c < end; c++) writeRecord(dv, (c - first) * REC, d.state[c]!, d.owner[c]!, d.gfn[c]!);
    this.media.write(this.base + BigInt(this.layout.descriptorOffset + first * REC), bytes);
  }

  ramBytes(): number {
    let n = 0;
    for (const d of this.cache.values()) n += d.state.length * DENSE_BYTES_PER_PAGE + 4 * JS_OBJECT_BYTES;
    return n;
  }

  private remember(chunk: number, d: DenseChunk): DenseChunk {
    this.cache.delete(chunk);
    this.cache.set(chunk, d);
    if (this.cache.size > CACHED_CHUNKS) this.cache.delete(this.cache.keys().next().value!);
    return d;
  }

  /** Records are indexed by page within the data region: chunk × chunkPages + k. */
  private recordAt(page: number): bigint {
    return this.base + BigInt(this.layout.recordOffset + page * REC);
  }
}

function writeRecord(dv: DataView, at: number, state: number, owner: number, gfn: number): void {
  dv.setUint8(at + AT_STATE, state);
  dv.setUint16(at + AT_OWNER, owner, true);
  dv.setUint32(at + AT_GFN, gfn, true);
}

function decodeRecords(bytes: Uint8Array, length: number): DenseChunk {
  const d = newDenseChunk(length);
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  for (let k = 0; k < length; k++) {
    d.state[k] = dv.getUint8(k * REC + AT_STATE);
    d.owner[k] = dv.getUint16(k * REC + AT_OWNER, true);
    d.gfn[k] = dv.getUint32(k * REC + AT_GFN, true);
  }
  return d;
}
