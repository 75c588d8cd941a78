// Fletcher64 over 32-bit little-endian words, as Linux's nd_fletcher64 and
// ndctl's util/fletcher.h compute it (FORMATS.md §4). The running sums wrap at
// 2^32; the result is (hi << 32) | lo.

/**
 * Checksums `len` bytes at `offset` (len must be a multiple of 4). When
 * `skipAt` is given, the 8 bytes there are read as zero: that is the stored
 * checksum field of a label, index block or info block.
 */
export function fletcher64(bytes: Uint8Array, offset = 0, len = bytes.length - offset, skipAt = -1): bigint {
  if (len % 4 !== 0 || offset < 0 || offset + len > bytes.length) {
    throw new RangeError(`fletcher64: ${len} bytes at ${offset} is not a whole number of words inside ${bytes.length}`);
  }
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let lo = 0;
  let hi = 0;
  const skip = skipAt >= 0 ? offset + skipAt : -1;
  for (let i = offset, end = offset + len; i < end; i += 4) {
    const w = i === skip || i === skip + 4 ? 0 : dv.getUint32(i, true);
    lo = (lo + w) >>> 0;
    hi = (hi + lo) >>> 0;
  }
  return (BigInt(hi) << 32n) | BigInt(lo);
}
