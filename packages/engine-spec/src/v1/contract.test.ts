import { describe, expect, it } from "vitest";
import { specificationVersion } from "../index.ts";
import {
  EngineExitedError,
  EngineLifecycleError,
  EngineUnsupportedError,
  UnsupportedSpecificationError,
} from "./errors.ts";
import { httpCallV1Schema } from "./http-call.ts";
import { argFromEnvElement, launchSpecV1Schema } from "./launch-spec.ts";
import { snapshotRecipeV1Schema } from "./snapshot-recipe.ts";

describe("spec v1", () => {
  it("names its version", () => {
    expect(specificationVersion).toBe("v1");
  });

  it("refuses argv elements with NUL or line breaks, and a port outside 1–65535", () => {
    const spec = { argv: ["serve"], env: {}, host: "127.0.0.1", port: 8000 };
    expect(launchSpecV1Schema.parse(spec)).toEqual({ ...spec, argsFromEnv: [], argvNotes: [], warnings: [] });
    for (const bad of ["a\nb", "a\rb", "a\0b"]) {
      expect(launchSpecV1Schema.safeParse({ ...spec, argv: ["serve", bad] }).success).toBe(false);
    }
    expect(launchSpecV1Schema.safeParse({ ...spec, port: 0 }).success).toBe(false);
    expect(launchSpecV1Schema.safeParse({ ...spec, env: { "BAD-NAME": "x" } }).success).toBe(false);
  });

  it("a secret flag becomes ONE argv element, so a key that starts with '-' is never read as a flag", () => {
    expect(argFromEnvElement({ flag: "--api-key" }, "-x --evil")).toBe("--api-key=-x --evil");
  });

  it("HTTP calls stay on the engine's own paths", () => {
    expect(httpCallV1Schema.safeParse({ method: "GET", path: "/health" }).success).toBe(true);
    for (const path of ["health", "//evil.example/x", "/a?b=c", "/a b", "http://x/"]) {
      expect(httpCallV1Schema.safeParse({ method: "GET", path }).success, path).toBe(false);
    }
  });

  it("snapshot steps are the known ones only", () => {
    expect(
      snapshotRecipeV1Schema.safeParse({ beforeSnapshot: ["start", "reboot"], afterRestore: [], env: [] })
        .success,
    ).toBe(false);
  });

  it("every lifecycle error names the engine and the endpoint, and quotes what came back, bounded", () => {
    const e = new EngineLifecycleError("vllm", "POST /sleep", "refused", {
      status: 500,
      body: "x".repeat(1000),
    });
    expect(e.message).toMatch(/^vllm POST \/sleep: refused \(HTTP 500: x{300}\)$/);
    expect(new EngineUnsupportedError("sglang", "sleep", "no GPU")).toBeInstanceOf(EngineLifecycleError);
    const exited = new EngineExitedError("vllm", "GET /health", null, "SIGKILL");
    expect(exited.message).toContain("signal SIGKILL");
    expect(new UnsupportedSpecificationError("x", "v9").message).toContain('"v9"');
  });
});
