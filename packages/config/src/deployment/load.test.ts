import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { formatIssue, formatPath } from "./issues.ts";
import { loadDeploymentText } from "./load.ts";

const invalidDir = join(import.meta.dirname, "../__fixtures__/invalid");

// Each invalid fixture states its expected first error on line 1:
// `# expect: <code> <path> <line>:<column>`.
describe("invalid fixtures report the field, the fix and the position", () => {
  for (const file of readdirSync(invalidDir).filter((f) => f.endsWith(".yaml"))) {
    it(file, () => {
      const text = readFileSync(join(invalidDir, file), "utf8");
      const [, code, path, pos] = /^# expect: (\S+) (\S+) (\d+:\d+)/.exec(text)!;
      const result = loadDeploymentText(text, file);
      expect(result.ok).toBe(false);
      if (result.ok) return;
      const issue = result.issues.find((i) => i.severity === "error")!;
      expect({ code: issue.code, path: formatPath(issue.path), pos: `${issue.line}:${issue.column}` }).toEqual({
        code,
        path,
        pos,
      });
      expect(issue.message.length).toBeGreaterThan(5);
      expect(formatIssue(issue, file)).toContain(`${file}:${pos}`);
    });
  }
});

describe("loadDeploymentText", () => {
  it("reads JSON with positions too", () => {
    const result = loadDeploymentText('{\n  "version": 1,\n  "model": {"id": "a/b"},\n  "engine": {"kind": "vllm", "fastBot": true}\n}');
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.issues[0]).toMatchObject({ code: "unknown_key", line: 4, column: 30 });
    expect(result.issues[0]!.message).toContain("did you mean 'fastBoot'");
  });

  it("reports YAML syntax errors with their position", () => {
    const result = loadDeploymentText("version: 1\nmodel:\n  id: [unclosed\nengine: {kind: vllm}\n");
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.issues[0]).toMatchObject({ code: "syntax", severity: "error" });
    expect(result.issues[0]!.line).toBeGreaterThanOrEqual(3);
  });

  it("rejects duplicate keys instead of silently taking the last", () => {
    const result = loadDeploymentText("version: 1\nmodel: {id: a/b}\nengine: {kind: vllm}\nengine: {kind: sglang}\n");
    expect(result.ok).toBe(false);
  });

  it("locates warnings as well as errors", () => {
    const result = loadDeploymentText("version: 1\nmodel:\n  id: a/b\nengine: {kind: vllm}\n");
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    const noRevision = result.warnings.find((w) => w.code === "no_revision")!;
    expect(noRevision.line).toBe(2);
  });

  it("asks for a version when there is none, and refuses unknown versions", () => {
    const missing = loadDeploymentText("model: {id: a/b}\nengine: {kind: vllm}\n");
    expect(missing.ok ? [] : missing.issues.map((i) => i.code)).toEqual(["no_version"]);
    const future = loadDeploymentText("version: 2\nmodel: {id: a/b}\nengine: {kind: vllm}\n");
    expect(future.ok ? [] : future.issues.map((i) => i.code)).toEqual(["unsupported_version"]);
  });

  it("refuses a document that is not a mapping", () => {
    const result = loadDeploymentText("- just\n- a list\n");
    expect(result.ok ? [] : result.issues.map((i) => i.code)).toEqual(["not_an_object"]);
  });
});
