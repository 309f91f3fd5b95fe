import { describe, expect, it } from "vitest";
import { atom, call, dict, entry, flat, kw, LINE_WIDTH, list, lit, renderExpr, textWidth } from "./expr.ts";

describe("renderExpr", () => {
  it("keeps what fits on one line, without a trailing comma", () => {
    const e = call("modal.Volume.from_name", lit("vllm-cache"), kw("create_if_missing", true));
    expect(renderExpr(e, "v = ", "", 0)).toEqual([
      'v = modal.Volume.from_name("vllm-cache", create_if_missing=True)',
    ]);
  });

  it("breaks what does not fit one element per line, each with a trailing comma (ruff keeps it broken)", () => {
    const e = call(
      "image.uv_pip_install",
      ...["vllm==0.13.0", "huggingface-hub==0.36.0", "flashinfer-python==0.5.3"].map((p) => lit(p)),
    );
    expect(renderExpr(e, "image = ", "", 0)).toEqual([
      "image = image.uv_pip_install(",
      '    "vllm==0.13.0",',
      '    "huggingface-hub==0.36.0",',
      '    "flashinfer-python==0.5.3",',
      ")",
    ]);
  });

  it("breaks outer brackets first and keeps inner ones flat when they fit", () => {
    const e = call(
      "app.cls",
      kw("image", atom("image")),
      kw("volumes", dict([entry("/root/.cache/huggingface", atom("weights_volume"))])),
      kw("experimental_options", dict([entry("enable_gpu_snapshot", true)])),
    );
    expect(renderExpr(e, "@", "", 0)).toEqual([
      "@app.cls(",
      "    image=image,",
      '    volumes={"/root/.cache/huggingface": weights_volume},',
      '    experimental_options={"enable_gpu_snapshot": True},',
      ")",
    ]);
  });

  it("puts comments on their own line above the element, which forces the bracket to break", () => {
    const e = call(
      "f",
      kw("scaledown_window", atom("15 * MINUTES"), "idle time before a replica scales down"),
    );
    expect(flat(e)).toBeNull();
    expect(renderExpr(e, "", "", 0)).toEqual([
      "f(",
      "    # idle time before a replica scales down",
      "    scaledown_window=15 * MINUTES,",
      ")",
    ]);
  });

  it("breakAlways lists put every element on its own line (free text never shares a line)", () => {
    expect(renderExpr(list([lit("a"), lit("b")], true), "X = ", "", 0)).toEqual([
      "X = [",
      '    "a",',
      '    "b",',
      "]",
    ]);
    expect(renderExpr(list([], true), "X = ", "", 0)).toEqual(["X = []"]);
  });

  it("counts the head and tail in the width", () => {
    const s = "x".repeat(LINE_WIDTH - 8);
    expect(renderExpr(list([lit(s)]), "A = ", "", 0)).toHaveLength(1); // A = ["xx…x"] is exactly 88
    expect(renderExpr(list([lit(s)]), "AB = ", "", 0)).toHaveLength(3);
  });

  it("nests dict literals from data", () => {
    expect(flat(lit({ a: [1, { b: null }] }))).toBe('{"a": [1, {"b": None}]}');
  });
});

describe("textWidth", () => {
  it("counts wide characters twice and combining marks not at all, like ruff", () => {
    expect(textWidth("abc")).toBe(3);
    expect(textWidth("中文")).toBe(4);
    expect(textWidth("e\u0301")).toBe(1);
    expect(textWidth("😀")).toBe(2);
  });
});
