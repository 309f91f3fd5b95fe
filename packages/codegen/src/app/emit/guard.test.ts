import { readFileSync } from "node:fs";
import { presets } from "@rouse/config";
import { describe, expect, it } from "vitest";
import { render } from "../../__fixtures__/render.ts";
import { guardModuleText } from "./guard.ts";
import { parseTemplate } from "./template.ts";

const text = (file: string) => readFileSync(new URL(`../templates/${file}`, import.meta.url), "utf8");
/** A template's body lines, as codegen includes them: prelude and marker lines left out. */
const bodyLines = (file: string) =>
  parseTemplate(file, text(file)).lines.filter((l) => l.trim() && !l.includes("# rouse:"));
const ROUTES_BLOCK = /^ROUTES = \{\n( {4}"\/[^"\n]*": "(public|key|private)",\n)+\}$/m;

describe("the route rules: one source (routes.py) for both guards", () => {
  it("the proxy guard's apps carry guard.py and routes.py, ROUTES filled from the plugin", () => {
    for (const preset of presets) {
      const { source } = render(preset.config, { proxied: true });
      for (const line of [...bodyLines("guard.py"), ...bodyLines("routes.py")])
        if (!line.startsWith("ROUTES = ")) expect(source, `${preset.name}: ${line}`).toContain(line);
      expect(source, preset.name).toMatch(ROUTES_BLOCK);
      expect(source.match(/^def route_access\(/gm), preset.name).toHaveLength(1);
    }
  });

  it("the in-process guard's module carries asgi_guard.py and routes.py, ROUTES filled from the plugin", () => {
    for (const preset of presets) {
      const { plan, source } = render(preset.config);
      const module = guardModuleText(plan);
      for (const line of [...bodyLines("asgi_guard.py"), ...bodyLines("routes.py")])
        if (!line.startsWith("ROUTES = ")) expect(module, `${preset.name}: ${line}`).toContain(line);
      expect(module, preset.name).toMatch(ROUTES_BLOCK);
      // Its imports lead the module; the app itself defines no route rules of its own.
      expect(module.split("\n").slice(0, 7)).toEqual([
        "import functools",
        "import hmac",
        "import importlib",
        "import json",
        "import os",
        "import runpy",
        "import sys",
      ]);
      expect(source.split("GUARD_MODULE = r'''")[0]).not.toContain("def route_access(");
    }
  });

  it("no prelude line reaches an app", () => {
    const { source } = render(presets[0]!.config, { proxied: true });
    expect(source).not.toContain("rouse:prelude");
    expect(source).not.toContain("from routes import");
    expect(source).not.toContain('"app": "template"');
    expect(guardModuleText(render(presets[0]!.config).plan)).not.toContain("from routes import");
  });
});
