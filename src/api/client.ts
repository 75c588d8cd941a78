// The light face of src/api: what a front end needs to reach a daemon and
// report its answers — errors, exact JSON, the daemon's record and token,
// every verb's summary and every route's method and path — without the
// route table's schemas, the command objects or the toolstack under them.
// The CLI imports this at start-up and index.ts only when it runs a verb
// in its own process (docs/CONTRIBUTING.md, "Start-up").
export * from "./errors.js";
export * from "./json.js";
export * from "./daemon-info.js";
export * from "./verbs.js";
export { readUserFile, type UserFileOptions } from "./read-file.js";
export { packageVersion } from "./version.js";
