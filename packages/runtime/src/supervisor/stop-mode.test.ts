import { quick, standinConfig, standinExecutableFor } from "../test/harness.ts";
import { stopModeSuite } from "../test/stop-mode-suite.ts";

// The STAND-IN ENGINE (tools/engine-standin, a vLLM imitation, not an engine) as a
// real process, so CI always covers what real-engine.test.ts covers with vLLM.
stopModeSuite("stop mode, stand-in engine (vllm imitation)", false, () => ({
  entry: { config: standinConfig("tiny"), source: "tiny.yaml" },
  supervisor: quick({ executable: standinExecutableFor("vllm"), scaleDownAfterMs: 1_000 }),
  startMs: 15_000,
}));
