export * from "./http.ts";
export * from "./prometheus.ts";
export * from "./spec-client.ts";
export * from "./wait-ready.ts";
export * from "./version.ts";
export * from "./options.ts";
export * from "./facts-check.ts";
export * from "./extra-args.ts";
