// The public face of src/media: byte stores (a sparse file, or memory) behind
// one synchronous interface, with fault and power-fail injection and a hash.
export { type Media, type ByteRange, checkedOffset } from "./media.js";
export { MediaError, isMediaError, type MediaErrorCode } from "./errors.js";
export { MemoryMedia, type MemoryMediaOptions } from "./memory-media.js";
export { SparseFileMedia, type CreateOptions, type OpenOptions } from "./sparse-file-media.js";
export { FaultyMedia, readOnlyMedia, type FaultPlan, type WriteRecord } from "./faulty-media.js";
export { overlayMedia } from "./overlay-media.js";
export { hashMedia, type HashOptions } from "./hash-media.js";
export { LockTimeoutError, acquireFileLockSync, lockHolder, tryFileLock, withFileLock, withFileLockSync, type HeldLock } from "./file-lock.js";
export { zeroRange, type ZeroRangeOptions } from "./zero-range.js";
