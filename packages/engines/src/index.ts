export type { Endpoint } from "@rouse/codegen";
export { installedEngines } from "./installed.ts";
export { type AppWarning, type RenderedApp, renderApp } from "./render-app.ts";
export {
  type EngineOptions,
  loadConfigFile,
  loadConfigText,
  type ValidConfig,
  validateConfig,
} from "./validate.ts";
