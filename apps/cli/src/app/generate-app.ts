import { relative, resolve } from "node:path";
import { type RenderedApp, renderApp } from "@rouse/engines";
import type { LoadedConfig } from "../config-source.ts";
import { type Io, printIssues } from "../ui/output.ts";

/** Where `rouse generate` and `rouse deploy` put an app: `.rouse/<name>/app.py`. */
export function defaultAppPath(cwd: string, appName: string): string {
  return resolve(cwd, ".rouse", appName, "app.py");
}

export function shown(cwd: string, path: string): string {
  const rel = relative(cwd, path);
  return rel.startsWith("..") ? path : rel;
}

/**
 * A loaded (validated) config → app.py source through @rouse/engines' renderApp; prints
 * its warnings (validation's and codegen's, each once) to stderr unless quiet. Load the
 * config quietly before: this is where its warnings are reported.
 */
export function generateFor(io: Io, loaded: LoadedConfig, quiet = false): RenderedApp {
  const app = renderApp(loaded);
  if (!quiet) printIssues(io, app.warnings, loaded.source);
  return app;
}
