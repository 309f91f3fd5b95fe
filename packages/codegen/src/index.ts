export { type CodegenWarning, CodegenError, EnginePluginContractError } from "./app/errors.ts";
export { type GeneratedApp, type GenerateOptions, generateApp } from "./app/generate.ts";
export { type AppPlan, enginePortFor } from "./app/plan.ts";
export { type RenderInput, renderApp } from "./app/render.ts";
export { pyLiteral, pyStr, type PyValue } from "./python/literal.ts";
