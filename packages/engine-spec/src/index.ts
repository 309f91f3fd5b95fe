// @rouse/engine-spec: the engine-plugin contract, versioned like the AI SDK's
// @ai-sdk/provider. A plugin implements `EnginePluginV1` and depends on nothing else.

/** The contract version this package's unversioned entry point speaks. */
export const specificationVersion = "v1";

export * from "./v1/index.ts";
