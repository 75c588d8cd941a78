// The public face of src/formats/infoblock: namespace info blocks (pfn, dax, btt).
export { NdGenSb, infoBlockChecksum, storedInfoBlockChecksum, sealInfoBlock, signatureBytes } from "./gen-sb.js";
export * from "./pfn.js";
export * from "./pfn-layout.js";
export * from "./btt.js";
export * from "./detect.js";
export * from "./btt-layout.js";
export * from "./btt-io.js";
