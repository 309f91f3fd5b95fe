import { relative, resolve } from "node:path";
import { CodegenError, type GeneratedApp, generateApp } from "@rouse/codegen";
import { findEnginePlugin, printable } from "@rouse/config";
import { installedEngines } from "@rouse/runtime";
import type { LoadedConfig } from "../config-source.ts";
import { CliError, type Io, printIssues, styles } from "../ui/output.ts";

/** The engine plugins this CLI ships with; engine facts come from them, never from the CLI. */
export const enginePlugins = installedEngines;

/** Where `rouse generate` and `rouse deploy` put an app: `.rouse/<name>/app.py`. */
export function defaultAppPath(cwd: string, appName: string): string {
  return resolve(cwd, ".rouse", appName, "app.py");
}

export function shown(cwd: string, path: string): string {
  const rel = relative(cwd, path);
  return rel.startsWith("..") ? path : rel;
}

/** Config → app.py source through @rouse/codegen; prints codegen warnings to stderr. */
export function generateFor(io: Io, loaded: LoadedConfig, quiet = false): GeneratedApp {
  const plugin = findEnginePlugin([...enginePlugins], loaded.config.engine.kind);
  let app: GeneratedApp;
  try {
    app = generateApp(loaded.config, plugin);
  } catch (error) {
    if (error instanceof CodegenError) {
      printIssues(io, error.issues, loaded.source);
      throw new CliError(
        `${loaded.source} is valid, but cannot become a Modal app (${error.issues.length} problem${error.issues.length === 1 ? "" : "s"})`,
        "fix the fields above",
      );
    }
    throw error;
  }
  if (!quiet) {
    // Config-rule warnings were already printed by loadConfig; show the plugin's and codegen's.
    const s = styles(io);
    // Config-rule and plugin-check warnings were printed by loadConfig (validation runs the plugin's check).
    for (const w of app.warnings.filter((w) => w.source !== "config" && !loaded.warnings.some((c) => c.code === w.code))) {
      io.stderr.write(`${s.yellow(`${printable(loaded.source)} warning ${printable(w.field)}: ${printable(w.message)}`)}\n`);
      if (w.fix) io.stderr.write(`${s.dim(`    fix: ${printable(w.fix)}`)}\n`);
    }
  }
  return app;
}

/** Where the web endpoint lives in the generated app (see @rouse/codegen emit/service.ts). */
export interface Endpoint {
  /** `cls`: `@app.cls` + `@modal.web_server` method; `function`: `@app.function` web server; `server`: `@app.server`. */
  readonly kind: "cls" | "function" | "server";
  /** Class name (cls, server) or function name (function). */
  readonly object: string;
  /** The web method of a cls. */
  readonly method: string | undefined;
}

/**
 * Reads the endpoint's shape from the generated source itself (decorators, then the
 * `class`/`def` they decorate), so it follows whatever codegen emits.
 */
export function endpointOf(source: string): Endpoint | undefined {
  let pending: string[] = [];
  let currentClass: { name: string; decorators: string[]; indent: number } | undefined;
  for (const line of source.split("\n")) {
    const decorator = /^(\s*)@([\w.]+)/.exec(line);
    if (decorator) {
      pending.push(decorator[2]!);
      continue;
    }
    const def = /^(\s*)(class|def) (\w+)/.exec(line);
    if (!def) continue;
    const indent = def[1]!.length;
    const [kind, name] = [def[2]!, def[3]!];
    if (currentClass && indent <= currentClass.indent) currentClass = undefined;
    if (kind === "class") {
      if (pending.includes("app.server")) return { kind: "server", object: name, method: undefined };
      currentClass = { name, decorators: pending, indent };
    } else if (pending.includes("modal.web_server")) {
      if (currentClass?.decorators.includes("app.cls"))
        return { kind: "cls", object: currentClass.name, method: name };
      if (pending.includes("app.function")) return { kind: "function", object: name, method: undefined };
    }
    pending = [];
  }
  return undefined;
}
