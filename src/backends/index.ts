// The public face of src/backends.
export * from "./builtin/index.js";
