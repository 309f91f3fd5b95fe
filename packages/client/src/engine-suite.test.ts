import { describe } from "vitest";
import { describeEngineSuite } from "./__fixtures__/engine-suite.ts";
import { startFakeEngine } from "./test-server.ts";

describeEngineSuite("engine suite: fake vLLM on 127.0.0.1", async () => {
  const engine = await startFakeEngine({ chunkDelayMs: 2, reasoning: "Short thought." });
  return { baseURL: engine.url, model: engine.model, close: engine.close };
});

const realEngine = process.env.ROUSE_TEST_ENGINE_URL;

describe.skipIf(!realEngine)(
  "real engine (skipped unless ROUSE_TEST_ENGINE_URL=http://host:port is set; ROUSE_TEST_ENGINE_MODEL and ROUSE_TEST_ENGINE_API_KEY optional)",
  () => {
    describeEngineSuite(
      `engine suite: ${realEngine}`,
      async () => ({
        baseURL: realEngine!,
        model: process.env.ROUSE_TEST_ENGINE_MODEL,
        apiKey: process.env.ROUSE_TEST_ENGINE_API_KEY,
      }),
      { timeoutMs: 180_000, readyDeadlineMs: 600_000 },
    );
  },
);
