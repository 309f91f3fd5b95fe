import { readFileSync, readdirSync, writeFileSync, mkdirSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import {
  canonicalJson,
  configHash,
  type DeploymentRecord,
  readState,
  recordDeployment,
  updateDeployment,
} from "./state.ts";
import { tmp } from "./test/processes.ts";

const record = (app: string): DeploymentRecord => ({
  app,
  webUrl: `https://ws--${app}.modal.run`,
  dashboardUrl: undefined,
  configHash: "h",
  sourceHash: "s",
  configSource: "rouse.yaml",
  appFile: `.rouse/${app}/app.py`,
  endpoint: { kind: "cls", object: "VllmServer", method: "serve" },
  engine: "vllm",
  model: "m",
  deployedAt: "2026-01-01T00:00:00.000Z",
  modalVersion: "1.6.4",
  environment: undefined,
});

describe(".rouse/state.json", () => {
  it("records deployments by app, updates one without touching the others, leaves no temp files", async () => {
    const dir = tmp();
    expect(await readState(dir)).toEqual({ version: 1, deployments: {} });
    await recordDeployment(dir, record("a"));
    await recordDeployment(dir, record("b"));
    await updateDeployment(dir, "a", { stoppedAt: "2026-01-02T00:00:00.000Z" });
    const state = await readState(dir);
    expect(Object.keys(state.deployments)).toEqual(["a", "b"]);
    expect(state.deployments.a?.stoppedAt).toBe("2026-01-02T00:00:00.000Z");
    expect(state.deployments.b).toEqual(JSON.parse(JSON.stringify(record("b"))));
    expect(readdirSync(join(dir, ".rouse"))).toEqual(["state.json"]);
    expect(await updateDeployment(dir, "nope", {})).toBeUndefined();
  });

  it("a damaged file is a clear error with the fix", async () => {
    const dir = tmp();
    mkdirSync(join(dir, ".rouse"));
    writeFileSync(join(dir, ".rouse/state.json"), "{");
    await expect(readState(dir)).rejects.toThrow(/not valid JSON/);
    writeFileSync(join(dir, ".rouse/state.json"), '{"version": 9}');
    await expect(readState(dir)).rejects.toThrow(/unknown format/);
    expect(readFileSync(join(dir, ".rouse/state.json"), "utf8")).toBe('{"version": 9}');
  });

  it("config hashes ignore key order", () => {
    expect(canonicalJson({ b: 1, a: [{ d: 2, c: undefined }] })).toBe('{"a":[{"d":2}],"b":1}');
    expect(configHash({ x: 1, y: 2 })).toBe(configHash({ y: 2, x: 1 }));
    expect(configHash({ x: 1 })).not.toBe(configHash({ x: 2 }));
  });
});
