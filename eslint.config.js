// typescript-eslint's recommended rules plus a layering rule: src/formats is pure
// (DESIGN.md) so it may not import Node APIs. The dashboard (web/) adds React's
// rules of hooks.
import js from "@eslint/js";
import tseslint from "typescript-eslint";
import reactHooks from "eslint-plugin-react-hooks";

export default tseslint.config(
  { ignores: ["dist/**", "node_modules/**", "web/dist/**"] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    rules: {
      "@typescript-eslint/no-unused-vars": ["error", { argsIgnorePattern: "^_", varsIgnorePattern: "^_" }],
    },
  },
  {
    files: ["src/formats/**/*.ts"],
    rules: {
      "no-restricted-imports": ["error", { patterns: [
        { group: ["node:*", "fs", "path", "os", "crypto", "buffer"], message: "src/formats is pure: no Node APIs (DESIGN.md)" },
        { group: ["../media/*", "../host/*", "../hypervisor/*", "../dom0/*", "../devicemodel/*", "../backends/*", "../toolstack/*", "../api/*", "../cli/*"], message: "src/formats may import nothing above it" },
      ] }],
      "no-restricted-globals": ["error", { name: "Buffer", message: "src/formats uses Uint8Array/DataView only" }, { name: "process", message: "src/formats is pure" }],
    },
  },
  {
    files: ["web/src/**/*.{ts,tsx}"],
    ...reactHooks.configs.flat.recommended,
    rules: { ...reactHooks.configs.flat.recommended.rules, "react-hooks/exhaustive-deps": "error" },
  },
  {
    files: ["scripts/**/*.mjs"],
    languageOptions: { globals: { process: "readonly", console: "readonly" } },
  },
  {
    // CommonJS, like the CLI bundle it loads (bin/package.json).
    files: ["bin/vnvdimm"],
    languageOptions: { sourceType: "commonjs", globals: { process: "readonly", console: "readonly", require: "readonly", __dirname: "readonly" } },
    rules: { "@typescript-eslint/no-require-imports": "off" },
  },
);
