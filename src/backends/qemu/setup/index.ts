export * from "./setup-error.js";
export * from "./packages.js";
export * from "./apt-install.js";
export * from "./kvm-probe.js";
export * from "./setup-qemu.js";
