// Every AML term constructor, gathered so the public face can export them as one namespace.
export * from "./data.js";
export * from "./names.js";
export * from "./ops.js";
export * from "./namedobjects.js";
export * from "./control.js";
