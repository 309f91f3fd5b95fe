export * from "./derived.ts";
export * from "./gpu.ts";
export * from "./rules.ts";
export * from "./schema.ts";
