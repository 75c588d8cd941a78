// Namespace label storage: layout, index blocks, labels, validation, the
// namespaces Linux accepts, and the update protocol.
export * from "./layout.js";
export * from "./seq.js";
export * from "./index-block.js";
export * from "./label.js";
export * from "./read-index.js";
export * from "./active.js";
export * from "./isetcookie.js";
export * from "./namespaces.js";
export * from "./area.js";
export * from "./update.js";
export * from "./init.js";
