// The NVDIMM _DSM mailbox protocol (QEMU's), shared by the emulated host and the device model.
export * from "./mailbox.js";
export * from "./label-functions.js";
export * from "./label-transfer.js";
