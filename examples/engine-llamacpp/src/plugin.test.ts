import { launchSpecV1Schema } from "@rouse/engine-spec";
import { minimalDeployment, runEnginePluginConformance } from "@rouse/engine-spec/conformance";
import { describe, expect, it } from "vitest";
import { aliasOf, llamacpp } from "./plugin.ts";

// The same suite vLLM and SGLang pass, on configs of this plugin's own engine.kind.
runEnginePluginConformance(llamacpp, { describe, it, expect });

describe("llama.cpp launch", () => {
  const ctx = { target: "local" as const, host: "127.0.0.1", port: 8081 };

  it("serves one alias: the first served name, else the model id", () => {
    const config = minimalDeployment("llamacpp");
    expect(aliasOf(config)).toBe("org/Model-7B");
    expect(aliasOf({ ...config, model: { ...config.model, servedName: ["a", "b"] } })).toBe("a");
  });

  it("passes the context length and the executable it is given, offloading every layer", () => {
    const config = minimalDeployment("llamacpp");
    const { argv } = launchSpecV1Schema.parse(
      llamacpp.launch(
        { ...config, model: { ...config.model, maxModelLen: 8192 } },
        { ...ctx, executable: ["/opt/llama/llama-server"] },
      ),
    );
    expect(argv.slice(0, 3)).toEqual(["/opt/llama/llama-server", "-hf", "org/Model-7B"]);
    expect(argv.join(" ")).toContain("-c 8192");
    expect(argv.join(" ")).toContain("-ngl 999");
  });

  it("warns that snapshots hold a loaded GPU, since llama-server cannot sleep", () => {
    const config = minimalDeployment("llamacpp");
    expect(llamacpp.validate(config).map((w) => w.field)).toEqual(["snapshot.enabled"]);
    expect(
      llamacpp.validate({ ...config, snapshot: { ...config.snapshot, enabled: false, gpu: false } }),
    ).toEqual([]);
  });
});
