import { readFile } from "node:fs/promises";
import { type ConfigIssue, formatIssue, type GatewayConfigV1, gatewayConfigV1Schema } from "@rouse/config";
import { isMap, isScalar, LineCounter, type Node, parseDocument } from "yaml";

export type GatewayConfigResult =
  | { readonly ok: true; readonly config: GatewayConfigV1 }
  | { readonly ok: false; readonly issues: readonly ConfigIssue[] };

/** Parses and validates gateway.yaml (or JSON) text; issues carry line:column. */
export function loadGatewayConfigText(text: string): GatewayConfigResult {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: false, uniqueKeys: true });
  if (doc.errors.length > 0) {
    return {
      ok: false,
      issues: doc.errors.map((e) => {
        const pos = lineCounter.linePos(e.pos[0]);
        return {
          severity: "error",
          code: "syntax",
          path: [],
          message: e.message.split("\n")[0]!,
          line: pos.line,
          column: pos.col,
        };
      }),
    };
  }
  const parsed = gatewayConfigV1Schema.safeParse(doc.toJS());
  if (parsed.success) return { ok: true, config: parsed.data };
  return {
    ok: false,
    issues: parsed.error.issues.map((i) => {
      const path = i.path.filter((p): p is string | number => typeof p !== "symbol");
      const offset = offsetOf(doc.contents, path);
      const pos = offset === undefined ? undefined : lineCounter.linePos(offset);
      return {
        severity: "error",
        code: i.code,
        path,
        message: i.message,
        ...(pos ? { line: pos.line, column: pos.col } : {}),
      };
    }),
  };
}

export async function loadGatewayConfigFile(file: string): Promise<GatewayConfigV1> {
  const result = loadGatewayConfigText(await readFile(file, "utf8"));
  if (!result.ok) {
    throw new Error(
      `${file} is not a valid gateway config:\n${result.issues.map((i) => `  ${formatIssue(i, file)}`).join("\n")}`,
    );
  }
  return result.config;
}

function offsetOf(root: unknown, path: readonly (string | number)[]): number | undefined {
  let node = root as Node | null | undefined;
  let best = node?.range?.[0];
  for (const segment of path) {
    if (isMap(node)) {
      const pair = node.items.find((p) => isScalar(p.key) && p.key.value === segment);
      if (!pair) return best;
      node = pair.value as Node | null;
      best = node?.range?.[0] ?? (isScalar(pair.key) ? pair.key.range?.[0] : undefined) ?? best;
    } else if (node && "items" in node && typeof segment === "number") {
      node = (node as { items: Node[] }).items[segment];
      best = node?.range?.[0] ?? best;
    } else {
      return best;
    }
  }
  return best;
}
