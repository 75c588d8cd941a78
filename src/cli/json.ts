// The CLI prints the same exact-u64 JSON as the HTTP API (src/api/json.ts).
export { toJson } from "../api/json.js";
