import type { z } from "zod";
import { didYouMean } from "../common/did-you-mean.ts";
import type { ConfigIssue } from "./issues.ts";

// Turns zod's issues into rouse's: one issue per unknown key with a suggestion,
// and a fix for each kind of mistake.

type AnySchema = z.core.$ZodType;

/** The object keys a schema accepts at `path`, looking through defaults, optionals and unions. */
export function knownKeysAt(schema: AnySchema, path: readonly PropertyKey[]): string[] {
  const objects = objectsAt(schema, path);
  return [...new Set(objects.flatMap((o) => Object.keys(o)))];
}

function unwrap(schema: AnySchema): AnySchema[] {
  const def = schema._zod.def as unknown as Record<string, unknown> & { type: string };
  switch (def.type) {
    case "default":
    case "prefault":
    case "optional":
    case "nullable":
    case "readonly":
    case "catch":
      return unwrap(def.innerType as AnySchema);
    case "pipe":
      return unwrap(def.in as AnySchema);
    case "union":
      return (def.options as AnySchema[]).flatMap(unwrap);
    default:
      return [schema];
  }
}

function objectsAt(schema: AnySchema, path: readonly PropertyKey[]): Record<string, AnySchema>[] {
  let current = unwrap(schema);
  for (const key of path) {
    const next: AnySchema[] = [];
    for (const s of current) {
      const def = s._zod.def as unknown as Record<string, unknown> & { type: string };
      if (def.type === "object" && typeof key === "string") {
        const child = (def.shape as Record<string, AnySchema>)[key];
        if (child) next.push(...unwrap(child));
      } else if (def.type === "array" && typeof key === "number") {
        next.push(...unwrap(def.element as AnySchema));
      } else if (def.type === "record") {
        next.push(...unwrap(def.valueType as AnySchema));
      }
    }
    current = next;
  }
  return current
    .map((s) => s._zod.def as unknown as { type: string; shape?: Record<string, AnySchema> })
    .filter((d) => d.type === "object" && d.shape)
    .map((d) => d.shape!);
}

function fixFor(issue: z.core.$ZodIssue): string | undefined {
  switch (issue.code) {
    case "invalid_type":
      return issue.input === undefined ? "add this required field" : `give a ${issue.expected}`;
    case "invalid_value":
      return `use one of: ${issue.values.map((v) => JSON.stringify(v)).join(", ")}`;
    case "too_small":
    case "too_big":
      return "bring the value into range";
    case "invalid_format":
      return "see the expected format in the message";
    default:
      return undefined;
  }
}

export function fromZodIssues(schema: AnySchema, issues: readonly z.core.$ZodIssue[]): ConfigIssue[] {
  const out: ConfigIssue[] = [];
  // Enough to fix a config; a hostile one with 50 000 unknown keys stays cheap to report.
  const limit = 51;
  for (const issue of issues) {
    if (out.length >= limit) break;
    const path = issue.path.filter((p): p is string | number => typeof p !== "symbol");
    if (issue.code === "unrecognized_keys") {
      const known = knownKeysAt(schema, path);
      for (const key of issue.keys.slice(0, limit)) {
        // Long keys are no typos of a known key (and would make the edit distance slow).
        const suggestion = key.length <= 64 ? didYouMean(key, known) : undefined;
        out.push({
          severity: "error",
          code: "unknown_key",
          path: [...path, key],
          message: suggestion ? `unknown key '${key}' (did you mean '${suggestion}'?)` : `unknown key '${key}'`,
          fix: suggestion
            ? `rename it to '${suggestion}'`
            : `remove it; known keys here: ${known.sort().join(", ") || "(none)"}`,
        });
      }
      continue;
    }
    if (issue.code === "invalid_union" && issue.errors.length > 0) {
      // Report the branch that got furthest rather than "invalid input".
      const best = [...issue.errors].sort((a, b) => a.length - b.length)[0]!;
      out.push(...fromZodIssues(schema, best.map((i) => ({ ...i, path: [...issue.path, ...i.path] }))));
      continue;
    }
    if (issue.code === "invalid_key") {
      const inner = issue.issues[0];
      out.push({
        severity: "error",
        code: "invalid_key",
        path,
        message: inner?.message ?? issue.message,
        fix: "rename the key to match the expected format",
      });
      continue;
    }
    const fix = fixFor(issue);
    const base = {
      severity: "error" as const,
      code: issue.code,
      path,
      message: issue.code === "invalid_type" && issue.input === undefined ? "required" : issue.message,
    };
    out.push(fix ? { ...base, fix } : base);
  }
  return out;
}
