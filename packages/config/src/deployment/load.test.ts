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

describe("hostile text (issue #13, item 11)", () => {
  const head = "version: 1\nmodel: { id: org/m, revision: abc }\nengine: { kind: vllm }\n";

  it("refuses invalid UTF-8 with the byte offset, line and column instead of replacing it", async () => {
    const { mkdtempSync, writeFileSync } = await import("node:fs");
    const { tmpdir } = await import("node:os");
    const { loadDeploymentFile } = await import("./load.ts");
    const file = join(mkdtempSync(join(tmpdir(), "rouse-utf8-")), "rouse.yaml");
    writeFileSync(file, Buffer.concat([Buffer.from(`${head}env: { A: "ok`), Buffer.from([0xc3, 0x28]), Buffer.from('" }\n')]));
    const r = await loadDeploymentFile(file);
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.issues[0]).toMatchObject({ code: "invalid_utf8", line: 4, column: 14 });
    expect(r.issues[0]!.message).toContain(`byte ${head.length + 13} (0xc3)`);
  });

  it("refuses integers a JavaScript number cannot hold exactly, in YAML and in plain data", () => {
    for (const n of ["9007199254740993", "123456789012345678901234567890", "-9007199254740993"]) {
      const r = loadDeploymentText(`${head}scaling: { maxInputs: ${n} }\n`);
      expect(r.ok).toBe(false);
      if (!r.ok) expect(r.issues[0]).toMatchObject({ code: "unsafe_integer", line: 4 });
    }
    // Speculative values are free numbers: precision loss there would reach the engine.
    const spec = loadDeploymentText(`${head.replace("{ kind: vllm }", "{ kind: vllm, speculative: { num_speculative_tokens: 18446744073709551617 } }")}`);
    expect(spec.ok).toBe(false);
    expect(loadDeploymentText(`${head}scaling: { maxInputs: 9007199254740991 }\n`).ok).toBe(false); // safe, but above the field's max
    expect(loadDeploymentText(`${head}scaling: { maxInputs: 64 }\n`).ok).toBe(true);
  });

  it("duplicate keys are errors at the second occurrence, naming the first", () => {
    const r = loadDeploymentText(`${head}env:\n  A: x\n  B: y\n  A: z\n`);
    expect(r.ok).toBe(false);
    if (!r.ok) {
      expect(r.issues[0]).toMatchObject({ code: "duplicate_key", line: 7 });
      expect(r.issues[0]!.message).toContain("first on line 5");
    }
  });

  it("prints terminal escape sequences from config values escaped", () => {
    const r = loadDeploymentText(`${head}"\\e]0;pwned\\a\\e[2J\\u009b31m\\u202e": 1\n`);
    expect(r.ok).toBe(false);
    if (r.ok) return;
    const text = formatIssue(r.issues[0]!, "rouse.yaml");
    expect(text).not.toMatch(/[\u001b\u0007\u009b\u202e]/);
    expect(text).toContain("\\x1b]0;pwned\\x07\\x1b[2J\\x9b31m\\u202e");
  });

  it("warns that an absolute-path model.id must exist inside the Modal container", () => {
    const r = loadDeploymentText("version: 1\nmodel: { id: /models/llama }\nengine: { kind: vllm }\n");
    expect(r.ok).toBe(true);
    if (r.ok) expect(r.warnings.map((w) => w.code)).toContain("local_model_path");
  });
});
