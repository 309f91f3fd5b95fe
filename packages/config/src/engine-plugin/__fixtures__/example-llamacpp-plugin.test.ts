import { describe, expect, it } from "vitest";
import { runEnginePluginConformance } from "../conformance.ts";
import { llamacpp } from "./example-llamacpp-plugin.ts";

// A plugin written against the contract alone passes the same suite as vLLM and SGLang.
// rouse.yaml v1 has no `engine.kind: llamacpp`, so the suite's configs use kind vllm.
runEnginePluginConformance(llamacpp, { describe, it, expect }, { configKind: "vllm" });
