import { parseDeployment } from "@rouse/config";
import { sglang } from "@rouse/engine-sglang";
import { vllm } from "@rouse/engine-vllm";
import { describe, expect, it } from "vitest";
import { redact, resolveLaunch } from "./launch.ts";

// A key that starts with '-' (~1.6% of random URL-safe keys) must stay the key's value:
// it joins argv as one element, --api-key=KEY, and logs never show it.

describe("resolveLaunch", () => {
  for (const plugin of [vllm, sglang]) {
    it(`${plugin.engine}: the API key joins argv as one --api-key=KEY element, and redact hides it`, () => {
      const config = parseDeployment({
        version: 1,
        model: { id: "org/m" },
        engine: { kind: plugin.engine as "vllm" | "sglang" },
        secrets: { apiKey: "s", apiKeyEnv: "MY_KEY" },
      });
      const key = "-O3-looks-like-a-flag";
      const launch = resolveLaunch(plugin, config, { host: "127.0.0.1", port: 8001 }, { MY_KEY: key });
      expect(launch.argv).toContain(`--api-key=${key}`);
      expect(launch.argv).not.toContain("--api-key");
      expect(launch.apiKey).toBe(key);
      expect(redact(launch.argv).join(" ")).not.toContain(key);
      expect(redact(launch.argv)).toContain("--api-key=***");
      expect(redact(["x", "--api-key", key])).toEqual(["x", "--api-key", "***"]);
    });
  }
});
