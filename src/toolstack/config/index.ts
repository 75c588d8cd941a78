// The public face of domain configs: parse, check and format xl-style configs.
export { ConfigError, type ConfigErrorCode, type ConfigErrorDetails, type SourcePos } from "./config-error.js";
export { checkDomainConfig, parseDomainConfig, parseVnvdimmSpec, CONFIG_MAX_CHARS, type ConfigResult } from "./parse-config.js";
export { formatConfig, formatVnvdimmSpec } from "./format-config.js";
export { tokenize, type Token } from "./lexer.js";
export * from "./types.js";
export { DEFAULT_ALIGN_BYTES, DEFAULT_SECTOR_SIZE } from "./spec-rules.js";
