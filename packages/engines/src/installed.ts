import type { EnginePluginV1 } from "@rouse/engine-spec";
import { sglang } from "@rouse/engine-sglang";
import { vllm } from "@rouse/engine-vllm";

/**
 * The engine plugins rouse ships with: the one list the CLI, the control API and the
 * local runtime use. Adding an engine: add its plugin here.
 */
export const installedEngines: readonly EnginePluginV1[] = Object.freeze([vllm, sglang]);
