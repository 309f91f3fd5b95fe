import { readFileSync } from "node:fs";
import { presets } from "@rouse/config";
import { describe, expect, it } from "vitest";
import { NO_VENV, ruff, ruffProblems, writeTemp } from "../../__fixtures__/python.ts";
import { render } from "../../__fixtures__/render.ts";
import { parseGuardTemplate } from "./guard.ts";

const templateText = readFileSync(new URL("../templates/guard.py", import.meta.url), "utf8");

describe("the proxy guard template (plugins whose server runs no ASGI middleware)", () => {
  const template = parseGuardTemplate(templateText);

  it("is included verbatim in every preset's app, with only ROUTES filled in", () => {
    for (const preset of presets) {
      const { source } = render(preset.config, { proxied: true });
      expect(source, preset.name).toContain(template.before.trimEnd());
      expect(source, preset.name).toContain(template.after.trim());
      const start = source.indexOf(template.before);
      const end = source.indexOf(template.after.trim());
      const routes = source.slice(start + template.before.length, end).trim();
      expect(routes, preset.name).toMatch(/^ROUTES = \{\n( {4}"\/[^"\n]*": "(public|key|private)",\n)+\}$/);
    }
  });

  it("hoists the prelude's imports into the app's import block, and no prelude line", () => {
    expect(template.imports).toEqual([
      "asyncio",
      "hmac",
      "json",
      "os",
      "re",
      "threading",
      "typing",
      "urllib.parse",
    ]);
    const { source } = render(presets[0]!.config, { proxied: true });
    const header = source.slice(0, source.indexOf("import modal"));
    for (const m of template.imports) expect(header).toContain(`\nimport ${m}\n`);
    expect(source).not.toContain("rouse:prelude");
    expect(source).not.toContain('"app": "template"');
  });

  it("refuses a template without its markers or its ROUTES line", () => {
    expect(() => parseGuardTemplate(templateText.replace("# rouse:prelude\n", ""))).toThrow(
      /prelude markers/,
    );
    expect(() => parseGuardTemplate(templateText.replace("# rouse:end-prelude\n", ""))).toThrow(
      /prelude markers/,
    );
    expect(() => parseGuardTemplate(templateText.replace(/^ROUTES = /m, "ROUTES: dict = "))).toThrow(
      /ROUTES/,
    );
  });
});

describe.skipIf(!ruff)("ruff on the template", () => {
  it("passes as it stands (format and lint, ruff's defaults and python/'s config)", () => {
    expect(ruffProblems(writeTemp({ "guard.py": templateText }))).toEqual([]);
  });
});

if (!ruff) it.skip(`ruff on the guard template: ${NO_VENV}`, () => {});
