import { describe, expect, it } from "vitest";
import { createGateway } from "../gateway.ts";
import { sha256Hex } from "../middleware/auth/index.ts";

// `POST /api/v1/render` validates once (in the control worker) and renders that result:
// every warning about the config and its app comes back once, validation's with line:column.

const headers = { authorization: "Bearer sk-dana", "content-type": "application/json" };
const keys = [{ name: "dana", sha256: sha256Hex("sk-dana") }];

describe("render warnings", () => {
  it("lists validation's and codegen's warnings, each once", async () => {
    const gw = createGateway({ version: 1, auth: { keys } }, { log: () => {} });
    const text = "version: 1\nmodel: {id: a/b}\nengine:\n  kind: vllm\n  pythonVersion: '3.10'\n";
    const res = await gw.app.request("/api/v1/render", {
      method: "POST",
      headers,
      body: JSON.stringify({ text }),
    });
    expect(res.status).toBe(200);
    const { warnings } = (await res.json()) as {
      warnings: { code: string; path: (string | number)[]; message: string; line?: number }[];
    };
    const keysOf = warnings.map((w) => `${w.code}@${w.path.join(".")}`);
    expect(new Set(keysOf).size).toBe(keysOf.length);
    expect(warnings.find((w) => w.code === "open_endpoint")).toMatchObject({
      path: ["secrets", "apiKey"],
      line: 1,
    });
    expect(warnings.find((w) => w.code === "python_3_10")).toMatchObject({
      path: ["engine", "pythonVersion"],
      message: expect.stringMatching(/\(codegen\)$/),
    });
    // The same warnings validate reports, plus codegen's.
    const validated = await gw.app.request("/api/v1/validate", {
      method: "POST",
      headers,
      body: JSON.stringify({ text }),
    });
    const { issues } = (await validated.json()) as { issues: { code: string; path: string[] }[] };
    expect(keysOf.filter((k) => !k.startsWith("python_3_10@"))).toEqual(
      issues.map((i) => `${i.code}@${i.path.join(".")}`),
    );
  });
});
