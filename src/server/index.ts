// The public face of src/server: `vnvdimm up` and the HTTP server behind it.
export * from "./up.js";
export * from "./http-server.js";
export { DEMO_CONFIG, DEMO_DOMAIN } from "./bootstrap.js";
