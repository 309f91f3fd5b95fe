export { type CodegenWarning, EnginePluginContractError } from "./app/errors.ts";
export { type GeneratedApp, generateApp } from "./app/generate.ts";
export type { AppPlan, Endpoint } from "./app/plan.ts";
