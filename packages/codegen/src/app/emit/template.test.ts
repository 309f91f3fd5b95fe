import { readdirSync, readFileSync } from "node:fs";
import { presets } from "@rouse/config";
import { describe, expect, it } from "vitest";
import { lit } from "../../python/expr.ts";
import { PyPrinter } from "../../python/printer.ts";
import { NO_VENV, ruff, ruffProblems, writeTemp } from "../../__fixtures__/python.ts";
import { body, render } from "../../__fixtures__/render.ts";
import { scenarios } from "../../__fixtures__/scenarios.ts";
import { emitTemplate, parseTemplate, template, type TemplateValues } from "./template.ts";

const dir = new URL("../templates/", import.meta.url);
const files = readdirSync(dir).filter((f) => f.endsWith(".py"));

const T = (body: string, prelude = "import json\nimport os\n") =>
  `# rouse:prelude\n${prelude}# rouse:end-prelude\n${body}`;

function emit(text: string, values?: TemplateValues): string {
  const p = new PyPrinter();
  emitTemplate(p, parseTemplate("t.py", text), values);
  return p.toString();
}

describe("parseTemplate", () => {
  it("refuses a template without its prelude markers", () => {
    expect(() => parseTemplate("t.py", "x = 1\n# rouse:end-prelude\n")).toThrow(/t\.py: .*prelude markers/);
    expect(() => parseTemplate("t.py", "# rouse:prelude\nx = 1\n")).toThrow(/prelude markers/);
  });

  it("refuses unbalanced, nested or nameless conditions", () => {
    expect(() => parseTemplate("t.py", T("# rouse:if a\nx = 1\n"))).toThrow(/no `# rouse:end-if`/);
    expect(() => parseTemplate("t.py", T("# rouse:end-if\n"))).toThrow(/t\.py:1: misplaced/);
    expect(() => parseTemplate("t.py", T("# rouse:else\n"))).toThrow(/misplaced/);
    expect(() => parseTemplate("t.py", T("# rouse:if\n# rouse:end-if\n"))).toThrow(/misplaced/);
    expect(() => parseTemplate("t.py", T("# rouse:if a\n# rouse:if b\n# rouse:end-if\n"))).toThrow(
      /misplaced/,
    );
  });
});

describe("emitTemplate", () => {
  it("leaves the prelude out and hoists only the imports the emitted code uses", () => {
    const out = emit(T("# rouse:if k\nx = os.environ\n# rouse:end-if\ny = json.dumps(1)\n"), {
      conditions: { k: false },
    });
    expect(out).toBe("import json\n\ny = json.dumps(1)\n");
    expect(emit(T("x = os.environ\n"))).toBe("import os\n\nx = os.environ\n");
  });

  it("keeps the if or the else lines, never both, and drops the markers", () => {
    const text = T("a = 1\n# rouse:if k\nb = 2\n# rouse:else\nb = 3\n# rouse:end-if\nc = 4\n", "");
    expect(emit(text, { conditions: { k: true } })).toBe("a = 1\nb = 2\nc = 4\n");
    expect(emit(text, { conditions: { k: false } })).toBe("a = 1\nb = 3\nc = 4\n");
  });

  it("replaces fill lines at their indentation and constants by name", () => {
    const text = T(
      "X = 1\n\n\ndef f():\n    if True:\n        g(1)  # rouse:fill call\n    # rouse:fill none\n",
      "",
    );
    const out = emit(text, {
      fills: {
        X: (p) => p.stmt("X = ", lit({ a: "b" })),
        call: (p) => p.code("g(2)", "h()"),
        none: () => {},
      },
    });
    expect(out).toBe('X = {"a": "b"}\n\n\ndef f():\n    if True:\n        g(2)\n        h()\n');
  });

  it("closes the gap a dropped definition leaves (two blank lines at most)", () => {
    const text = T(
      "a = 1\n\n\n# rouse:if k\ndef f():\n    pass\n\n\n# rouse:end-if\ndef g():\n    pass\n",
      "",
    );
    expect(emit(text, { conditions: { k: false } })).toBe("a = 1\n\n\ndef g():\n    pass\n");
    expect(emit(text, { conditions: { k: true } })).toBe(
      "a = 1\n\n\ndef f():\n    pass\n\n\ndef g():\n    pass\n",
    );
  });

  it("fails on a missing, unknown or unused key rather than emitting the template's example", () => {
    const text = T("# rouse:if k\nx = 1  # rouse:fill v\n# rouse:end-if\n", "");
    expect(() => emit(text, { fills: { v: () => {} } })).toThrow(/no value for condition 'k'/);
    expect(() => emit(text, { conditions: { k: true } })).toThrow(/no value for fill 'v'/);
    expect(() => emit(text, { conditions: { k: true }, fills: { v: () => {}, w: () => {} } })).toThrow(
      /has no fill 'w'/,
    );
    expect(() => emit(text, { conditions: { k: true, j: true }, fills: { v: () => {} } })).toThrow(
      /has no condition 'j'/,
    );
  });
});

describe("the app's templates", () => {
  it("are all read by codegen: each static line is in some preset's or scenario's app", () => {
    expect(files.sort()).toEqual([
      "asgi_guard.py",
      "boot.py",
      "canary.py",
      "engine.py",
      "guard.py",
      "guard_host.py",
      "prepare.py",
      "routes.py",
      "smoke.py",
    ]);
    const cpu = scenarios["vllm-cpu-snapshot"] as { model: object };
    const localModel = { ...cpu, model: { ...cpu.model, id: "/models/llama", revision: undefined } };
    const configs = [...presets.map((p) => p.config), ...Object.values(scenarios), localModel];
    const sources = [
      ...configs.map((c) => render(c).source),
      ...configs.map((c) => render(c, { proxied: true }).source),
    ];
    for (const file of files) {
      const { lines } = template(file);
      // Lines without a marker (and not a filled constant): somewhere in some preset's app.
      const plain = lines.filter(
        (l) => l.trim() && !/# rouse:|^[A-Z_]+ = /.test(l) && !/^\s+(tokens|logprobs) = /.test(l),
      );
      for (const l of plain)
        expect(
          sources.some((s) => s.includes(`${l}\n`)),
          `${file}: ${l}`,
        ).toBe(true);
    }
    for (const s of sources) {
      expect(s).not.toContain("rouse:");
      expect(s).not.toContain("template");
    }
  });
});

describe("prepare() for a CPU-only snapshot", () => {
  const cpu = scenarios["vllm-cpu-snapshot"] as { model: object; caches: object };
  const local = { ...cpu, model: { ...cpu.model, id: "/models/llama", revision: undefined } };

  it("reads a model folder in the container without the hub (no import left unused)", () => {
    const prepare = body(render(local).source, "prepare(");
    expect(prepare).toContain("\n    path = MODEL_NAME\n");
    expect(prepare).not.toContain("huggingface_hub");
    expect(prepare).not.toContain("except (ImportError");
  });

  it.skipIf(!ruff)("is ruff-clean either way", () => {
    const files = { "hub.py": render(cpu).source, "local.py": render(local).source };
    expect(ruffProblems(writeTemp(files))).toEqual([]);
  });
});

describe.skipIf(!ruff)("ruff on the templates", () => {
  it("passes on every template as it stands (format and lint, ruff's defaults and python/'s config)", () => {
    const copy = Object.fromEntries(files.map((f) => [f, readFileSync(new URL(f, dir), "utf8")]));
    expect(ruffProblems(writeTemp(copy))).toEqual([]);
  });
});

if (!ruff) it.skip(`ruff on the templates: ${NO_VENV}`, () => {});
