import { spawnSync } from "node:child_process";
import { copyFileSync, readdirSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { NO_VENV, python, writeTemp } from "../__fixtures__/python.ts";

// The emitted-app templates are real Python: pyright (pinned, from npm) type-checks them as they
// stand, with python/.venv as the interpreter, under templates/pyrightconfig.json.

const templates = resolve(dirname(fileURLToPath(import.meta.url)), "templates");
const pyright = join(dirname(createRequire(import.meta.url).resolve("pyright/package.json")), "index.js");

interface PyrightReport {
  readonly generalDiagnostics: ReadonlyArray<{ file: string; severity: string; message: string; range: unknown }>;
  readonly summary: { readonly errorCount: number; readonly filesAnalyzed: number };
}

function check(dir: string): PyrightReport {
  const r = spawnSync(
    process.execPath,
    [pyright, "--outputjson", "--pythonpath", python!, "-p", join(dir, "pyrightconfig.json"), dir],
    { encoding: "utf8", maxBuffer: 16 << 20, timeout: 180_000 },
  );
  return JSON.parse(r.stdout) as PyrightReport;
}

function errors(report: PyrightReport): string[] {
  return report.generalDiagnostics
    .filter((d) => d.severity === "error")
    .map((d) => `${d.file.split("/").pop()}: ${d.message}`);
}

describe.skipIf(!python)("pyright over the templates", () => {
  it("finds no errors in any template", { timeout: 200_000 }, () => {
    const report = check(templates);
    const files = readdirSync(templates).filter((f) => f.endsWith(".py"));
    expect(report.summary.filesAnalyzed).toBe(files.length);
    expect(errors(report)).toEqual([]);
  });

  it("would catch a type error in a template (the check can fail)", { timeout: 200_000 }, () => {
    const dir = writeTemp({});
    for (const f of readdirSync(templates)) copyFileSync(join(templates, f), join(dir, f));
    // An optional used unchecked and a wrong literal: the two errors pyright must report.
    writeFileSync(join(dir, "broken.py"), 'def f(x: int | None) -> int:\n    return x + 1\n\n\nn: int = "one"\n');
    expect(errors(check(dir)).length).toBe(2);
  });
});

if (!python) it.skip(`pyright over the templates: ${NO_VENV}`, () => {});
