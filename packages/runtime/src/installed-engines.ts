import type { EnginePluginV1 } from "@rouse/engine-spec";
import { sglang } from "@rouse/engine-sglang";
import { vllm } from "@rouse/engine-vllm";

/**
 * The engine plugins rouse ships with — the one list every caller uses (codegen's
 * fixtures and scripts, the control API's renderer, the CLI, the local fleet).
 * It lives here because the runtime already depends on both plugins and nothing
 * it depends on depends on it back. Adding an engine: add its plugin here.
 */
export const installedEngines: readonly EnginePluginV1[] = Object.freeze([vllm, sglang]);
