import { readFileSync } from "node:fs";
import type { PyPrinter } from "../../python/printer.ts";

// The static Python of every emitted app.py lives in ../templates/*.py, as real Python
// that ruff and pytest read directly. A template starts with a prelude, between
// `# rouse:prelude` and `# rouse:end-prelude`, that is never emitted: its `import x`
// lines join app.py's import block, and the rest defines (for tests and linters only)
// what app.py defines elsewhere. The body after it is included verbatim, except:
//
//   a line ending in `# rouse:fill KEY`   replaced by what codegen prints for KEY
//   a top-level `KEY = ...` line           the same, for a fill named like a constant
//   `# rouse:if KEY` ... [`# rouse:else`] ... `# rouse:end-if`
//                                          lines kept or dropped on a condition codegen
//                                          knows, so app.py carries no dead branch

const PRELUDE_START = "# rouse:prelude\n";
const PRELUDE_END = "# rouse:end-prelude\n";
const MARKER = /^\s*# rouse:(if|else|end-if)(?: ([\w-]+))?\s*$/;
const FILL = /^(\s*)(?:.*?\s)?# rouse:fill ([\w-]+)\s*$/;

export interface PyTemplate {
  /** The template's file name, for errors. */
  readonly name: string;
  /** Standard-library modules the prelude imports (hoisted when the emitted code uses them). */
  readonly imports: readonly string[];
  /** The body's lines, markers included. */
  readonly lines: readonly string[];
}

/** Splits a template into its prelude's imports and its body; throws when its markers are missing. */
export function parseTemplate(name: string, text: string): PyTemplate {
  const end = text.indexOf(PRELUDE_END);
  if (!text.startsWith(PRELUDE_START) || end < 0)
    throw new Error(`${name}: the template must start with its prelude markers`);
  const prelude = text.slice(0, end);
  const lines = text
    .slice(end + PRELUDE_END.length)
    .replace(/\n+$/, "")
    .split("\n");
  let open: string | undefined;
  for (const [i, line] of lines.entries()) {
    const m = MARKER.exec(line);
    if (!m) continue;
    const ok = m[1] === "if" ? open === undefined && m[2] : open !== undefined && !m[2];
    if (!ok) throw new Error(`${name}:${i + 1}: misplaced \`${line.trim()}\` (no nesting, if/else/end-if)`);
    open = m[1] === "if" ? m[2] : m[1] === "end-if" ? undefined : open;
  }
  if (open) throw new Error(`${name}: \`# rouse:if ${open}\` has no \`# rouse:end-if\``);
  return {
    name,
    imports: [...prelude.matchAll(/^import ([\w.]+)$/gm)].map((m) => m[1] as string),
    lines,
  };
}

const cache = new Map<string, PyTemplate>();

/** ../templates/<file>, parsed once. */
export function template(file: string): PyTemplate {
  let t = cache.get(file);
  if (!t) {
    t = parseTemplate(file, readFileSync(new URL(`../templates/${file}`, import.meta.url), "utf8"));
    cache.set(file, t);
  }
  return t;
}

export interface TemplateValues {
  /** KEY → prints the replacement, at the replaced line's indentation (nothing for none). */
  readonly fills?: Readonly<Record<string, (p: PyPrinter) => void>>;
  /** KEY → whether the `# rouse:if KEY` lines are kept (else the `# rouse:else` ones). */
  readonly conditions?: Readonly<Record<string, boolean>>;
}

/**
 * Prints a template's body: fills and conditions applied, marker lines left out, no run of
 * more than two blank lines. Every fill and condition the template names must be given, and
 * every one given must be used: a renamed key fails here rather than emitting the example.
 */
export function emitTemplate(p: PyPrinter, t: PyTemplate, values: TemplateValues = {}): void {
  const fills = values.fills ?? {};
  const conditions = values.conditions ?? {};
  const used = new Set<string>();
  const kept: Array<string | { key: string; depth: number }> = [];
  let keep = true;
  let condition: string | undefined;
  for (const line of t.lines) {
    const marker = MARKER.exec(line);
    if (marker) {
      if (marker[1] === "if") {
        condition = marker[2] as string;
        if (!(condition in conditions)) throw new Error(`${t.name}: no value for condition '${condition}'`);
        used.add(`if:${condition}`);
        keep = conditions[condition] as boolean;
      } else if (marker[1] === "else") keep = !conditions[condition as string];
      else keep = true;
      continue;
    }
    const fill = FILL.exec(line);
    const assigned = /^([A-Z_][A-Z0-9_]*) = /.exec(line)?.[1];
    const key = fill?.[2] ?? (assigned !== undefined && assigned in fills ? assigned : undefined);
    // A fill in lines a condition drops must be given all the same (it is just not printed).
    if (key !== undefined) {
      if (!(key in fills)) throw new Error(`${t.name}: no value for fill '${key}'`);
      used.add(`fill:${key}`);
    }
    if (!keep) continue;
    if (key !== undefined) {
      const indent = (fill?.[1] ?? "").length;
      if (indent % 4) throw new Error(`${t.name}: fill '${key}' is not indented by a multiple of 4`);
      kept.push({ key, depth: indent / 4 });
    } else kept.push(line);
  }
  for (const key of Object.keys(fills))
    if (!used.has(`fill:${key}`)) throw new Error(`${t.name}: the template has no fill '${key}'`);
  for (const key of Object.keys(conditions))
    if (!used.has(`if:${key}`)) throw new Error(`${t.name}: the template has no condition '${key}'`);

  while (kept[0] === "") kept.shift();
  while (kept[kept.length - 1] === "") kept.pop();
  let blanks = 0;
  const text: string[] = [];
  for (const item of kept) {
    if (typeof item === "string") {
      blanks = item === "" ? blanks + 1 : 0;
      if (blanks <= 2) text.push(item);
      continue;
    }
    blanks = 0;
    p.templateLines(text.splice(0));
    p.at(item.depth, () => fills[item.key]!(p));
  }
  p.templateLines(text);
  const emitted = kept.filter((l) => typeof l === "string").join("\n");
  for (const module of t.imports)
    if (new RegExp(`\\b${module.replaceAll(".", "\\.")}\\.`).test(emitted)) p.import(module);
}
