// GUIDs in EFI byte order: the first three fields little-endian, the last two
// as stored (FORMATS.md §2). ndctl prints label GUIDs from their raw bytes
// instead, which is why the same PM GUID shows as 79d3f066-f3b4-7440-… there.

const HEX = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export function isGuidText(s: string): boolean {
  return HEX.test(s);
}

/** Text → 16 bytes in EFI (mixed-endian) order. */
export function guidToBytes(text: string): Uint8Array {
  if (!HEX.test(text)) throw new RangeError(`not a GUID: "${text}"`);
  const hex = text.replace(/-/g, "");
  const raw = new Uint8Array(16);
  for (let i = 0; i < 16; i++) raw[i] = parseInt(hex.slice(2 * i, 2 * i + 2), 16);
  return swapEfi(raw);
}

/** 16 bytes in EFI order → canonical lower-case text. */
export function bytesToGuid(b: Uint8Array): string {
  return rawText(swapEfi(check16(b)));
}

/** 16 bytes printed in storage order, as ndctl and libuuid print label uuids. */
export function rawBytesToText(b: Uint8Array): string {
  return rawText(check16(b));
}

/** Text in raw order (as ndctl prints) → bytes in storage order. */
export function rawTextToBytes(text: string): Uint8Array {
  if (!HEX.test(text)) throw new RangeError(`not a UUID: "${text}"`);
  const hex = text.replace(/-/g, "");
  const raw = new Uint8Array(16);
  for (let i = 0; i < 16; i++) raw[i] = parseInt(hex.slice(2 * i, 2 * i + 2), 16);
  return raw;
}

export function isZeroGuid(b: Uint8Array): boolean {
  return b.every((x) => x === 0);
}

export function guidEquals(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}

function check16(b: Uint8Array): Uint8Array {
  if (b.length !== 16) throw new RangeError(`a GUID is 16 bytes, not ${b.length}`);
  return b;
}

function swapEfi(b: Uint8Array): Uint8Array {
  const o = Uint8Array.from(b);
  o[0] = b[3]!; o[1] = b[2]!; o[2] = b[1]!; o[3] = b[0]!;
  o[4] = b[5]!; o[5] = b[4]!;
  o[6] = b[7]!; o[7] = b[6]!;
  return o;
}

function rawText(b: Uint8Array): string {
  const h = Array.from(b, (x) => x.toString(16).padStart(2, "0")).join("");
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}

/** Well-known GUIDs (FORMATS.md §2, §5), in canonical text. */
export const GUIDS = {
  spaPersistentMemory: "66f0d379-b4f3-4074-ac43-0d3318b78cdb",
  spaVolatile: "7305944f-fdda-44e3-b16c-3f22d252e5d0",
  spaControlRegion: "92f701f6-13b4-405d-910b-299367e8234c",
  spaBlockDataWindow: "91af0530-5d86-470e-a6b0-0a2db9408249",
  abstractionBtt: "8aed63a2-29a2-4c66-8b12-f05d15d3922a",
  abstractionBtt2: "18633bfc-1735-4217-8ac9-17239282d3f8",
  abstractionPfn: "266400ba-fb9f-4677-bcb0-968f11d0d225",
  abstractionDax: "97a86d9c-3cdd-4eda-986f-5068b4f80088",
  dsmRoot: "2f10e7a4-9e91-11e4-89d3-123b93f75cba",
  dsmIntelDimm: "4309ac30-0d11-11e4-9191-0800200c9a66",
  dsmQemuRoot: "648b9cf2-cda1-4312-8ad9-49c4af32bd62",
} as const;
