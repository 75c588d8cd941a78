// The public face of src/api: one command object per verb.
export * from "./client.js";
export * from "./command.js";
export * from "./inspect-labels.js";
export * from "./inspect-acpi.js";
export * from "./host-commands.js";
export * from "./domain-commands.js";
export * from "./pmem-map.js";
export * from "./routes.js";
export * from "./setup-commands.js";
// The living host that `vnvdimm up` keeps and hands to every route.
export { LiveHost } from "../toolstack/index.js";
// One host per state directory, and one CLI at a time starting it.
export { tryHostLock, withStartLock } from "../toolstack/index.js";
