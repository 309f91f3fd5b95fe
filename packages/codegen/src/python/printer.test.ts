import { describe, expect, it } from "vitest";
import { call, lit } from "./expr.ts";
import { PyPrinter } from "./printer.ts";

describe("PyPrinter", () => {
  it("prints collected imports once, standard library first, sorted, after the header", () => {
    const p = new PyPrinter();
    p.header("title");
    p.import("os").import("modal", true).import("json").import("os");
    p.code("x = 1");
    expect(p.toString()).toBe("# title\n\nimport json\nimport os\n\nimport modal\n\nx = 1\n");
  });

  it("spaces definitions like ruff: two blank lines at top level, one between methods, none at a block's start", () => {
    const p = new PyPrinter();
    p.code("A = 1");
    p.definition({ header: "class C:", comment: "a comment that belongs to C", decorators: ["@dec"] }, () => {
      p.definition({ header: "def one(self):" }, () => p.code("return 1"));
      p.definition({ header: "def two(self):" }, () => {});
    });
    p.code("B = 2");
    expect(p.toString()).toBe(
      [
        "A = 1",
        "",
        "",
        "# a comment that belongs to C",
        "@dec",
        "class C:",
        "    def one(self):",
        "        return 1",
        "",
        "    def two(self):",
        "        pass",
        "",
        "",
        "B = 2",
        "",
      ].join("\n"),
    );
  });

  it("renders statements with expressions and keeps a short trailing comment on the line", () => {
    const p = new PyPrinter();
    p.stmt("MINUTES = ", lit(60), "", "seconds");
    p.stmt("VERY_LONG = ", lit("x".repeat(70)), "", "this comment would not fit after it");
    p.blockStmt("if ", call("os.environ.get", lit("FLAG"), lit("")), ":", () => p.code("return"));
    expect(p.toString()).toBe(
      [
        "MINUTES = 60  # seconds",
        "# this comment would not fit after it",
        `VERY_LONG = "${"x".repeat(70)}"`,
        'if os.environ.get("FLAG", ""):',
        "    return",
        "",
      ].join("\n"),
    );
  });

  it("prints static source verbatim, blank lines included", () => {
    const p = new PyPrinter();
    p.verbatim("\ndef f():\n    return 1\n\n\ndef g():\n    return 2\n");
    expect(p.toString()).toBe("def f():\n    return 1\n\n\ndef g():\n    return 2\n");
  });

  it("wraps comments to the line width at the current indentation", () => {
    const p = new PyPrinter();
    p.block("def f():", () => p.comment("word ".repeat(30)));
    for (const line of p.toString().split("\n")) expect(line.length).toBeLessThanOrEqual(88);
  });
});
