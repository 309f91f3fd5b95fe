import { readFile } from "node:fs/promises";
import { isMap, isScalar, LineCounter, type Node, parseDocument } from "yaml";
import { type ConfigIssue, ConfigError } from "./issues.ts";
import { type ValidationResult, validateDeployment } from "./validate.ts";

// Config text → validated config, with line:column on every issue. YAML 1.2 is
// a superset of JSON, so one parser gives positions for both formats.

export type LoadResult = ValidationResult & { readonly file: string | undefined };

export function loadDeploymentText(text: string, file?: string): LoadResult {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: false, uniqueKeys: true });
  if (doc.errors.length > 0) {
    const issues: ConfigIssue[] = doc.errors.map((e) => {
      const pos = lineCounter.linePos(e.pos[0]);
      return {
        severity: "error",
        code: "syntax",
        path: [],
        message: e.message.split("\n")[0]!,
        fix: "fix the YAML/JSON syntax at this position",
        line: pos.line,
        column: pos.col,
      };
    });
    return { ok: false, issues, file };
  }
  const result = validateDeployment(doc.toJS());
  const locate = (issue: ConfigIssue): ConfigIssue => {
    const range = rangeOf(doc.contents, issue.path, issue.code === "unknown_key" || issue.code === "invalid_key");
    if (!range) return issue;
    const pos = lineCounter.linePos(range);
    return { ...issue, line: pos.line, column: pos.col };
  };
  return result.ok
    ? { ...result, warnings: result.warnings.map(locate), file }
    : { ...result, issues: result.issues.map(locate), file };
}

export async function loadDeploymentFile(file: string): Promise<LoadResult> {
  return loadDeploymentText(await readFile(file, "utf8"), file);
}

/** Reads and validates a config file, throwing a ConfigError (with positions) when invalid. */
export async function readDeploymentFile(file: string) {
  const result = await loadDeploymentFile(file);
  if (!result.ok) throw new ConfigError(result.issues, file);
  return result;
}

/**
 * Start offset of the value at `path`; for a missing field, of the key of the
 * nearest ancestor that exists (where the user would add it).
 */
function rangeOf(root: unknown, path: readonly (string | number)[], pointAtKey: boolean): number | undefined {
  let node = root as Node | null | undefined;
  let best = node?.range?.[0];
  for (let i = 0; i < path.length; i++) {
    const segment = path[i];
    if (isMap(node)) {
      const pair = node.items.find((p) => isScalar(p.key) && p.key.value === segment);
      if (!pair) return best;
      const keyStart = isScalar(pair.key) ? pair.key.range?.[0] : undefined;
      const last = i === path.length - 1;
      if (last && pointAtKey) return keyStart ?? best;
      node = pair.value as Node | null;
      if (last) return node?.range?.[0] ?? keyStart ?? best;
      best = keyStart ?? best;
    } else if (node && "items" in node && Array.isArray((node as { items: unknown[] }).items) && typeof segment === "number") {
      node = (node as { items: Node[] }).items[segment];
      best = node?.range?.[0] ?? best;
    } else {
      return best;
    }
  }
  return best;
}
