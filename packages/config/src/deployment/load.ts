import { readFile } from "node:fs/promises";
import { isAlias, isMap, isPair, isScalar, isSeq, Lexer, LineCounter, type Node, parseDocument, type Pair } from "yaml";
import { type ConfigIssue, ConfigError } from "./issues.ts";
import { type ValidateOptions, type ValidationResult, validateDeployment } from "./validate.ts";

// Config text → validated config, with line:column on every issue. YAML 1.2 is
// a superset of JSON, so one parser gives positions for both formats.
//
// Bounded work for any input: the text is capped, duplicate keys are found in one
// pass with a Set per mapping (the YAML library's own uniqueKeys check compares
// every pair, quadratic in the keys of a mapping), nesting is capped before any
// recursive step, and every issue's position comes from an index built once.

/**
 * Largest config text rouse reads. A real rouse.yaml is a few KiB; 256 KiB leaves room
 * for several 32 KiB env values while keeping the worst case (dense YAML the parser must
 * build a node for, token by token) well inside the issue's 1 s budget.
 */
export const MAX_CONFIG_BYTES = 256 * 1024;
/** Deepest nesting of mappings and sequences (a real one is 4 deep). */
export const MAX_CONFIG_DEPTH = 32;
/**
 * Most YAML tokens rouse parses (a real config has a few hundred; 256 env variables and
 * 64 extraArgs stay under 3 000). The lexer is a flat state machine and fast; building
 * a node per token is what costs, so dense input is refused before that step.
 */
export const MAX_CONFIG_TOKENS = 20_000;
/** At most this many issues are reported; the rest are counted. */
export const MAX_REPORTED_ISSUES = 50;

export type LoadResult = ValidationResult & { readonly file: string | undefined };

const issue = (code: string, message: string, fix: string, line?: number, column?: number): ConfigIssue =>
  line === undefined
    ? { severity: "error", code, path: [], message, fix }
    : { severity: "error", code, path: [], message, fix, line, column: column ?? 1 };

export function loadDeploymentText(text: string, file?: string, options: ValidateOptions = {}): LoadResult {
  const fail = (issues: ConfigIssue[]): LoadResult => ({ ok: false, issues: capIssues(issues), file });
  const bytes = Buffer.byteLength(text, "utf8");
  if (bytes > MAX_CONFIG_BYTES) {
    return fail([
      issue(
        "config_too_large",
        `the config is ${bytes} bytes; rouse reads at most ${MAX_CONFIG_BYTES} (256 KiB)`,
        "a rouse config is a few KiB: move large values (prompts, templates) into files in the image or a Modal secret",
      ),
    ]);
  }
  const scanned = scanTokens(text);
  if (scanned) return fail([scanned]);
  const lineCounter = new LineCounter();
  let doc: ReturnType<typeof parseDocument>;
  try {
    doc = parseDocument(text, { lineCounter, prettyErrors: false, uniqueKeys: false });
  } catch (error) {
    if (error instanceof RangeError) return fail([tooDeep()]);
    throw error;
  }
  if (doc.errors.length > 0) {
    return fail(
      doc.errors.map((e) => {
        const pos = lineCounter.linePos(e.pos[0]);
        return issue("syntax", e.message.split("\n")[0]!, "fix the YAML/JSON syntax at this position", pos.line, pos.col);
      }),
    );
  }
  const structural = checkStructure(doc.contents, (offset) => lineCounter.linePos(offset));
  if (structural.length > 0) return fail(structural);
  let data: unknown;
  try {
    data = doc.toJS({ maxAliasCount: 100 });
  } catch (error) {
    // Aliases that expand past maxAliasCount ("billion laughs"), or a resolved value too deep.
    const message = error instanceof Error ? error.message.split("\n")[0]! : String(error);
    return fail([issue("yaml_aliases", message, "write the values out instead of through YAML aliases")]);
  }
  const result = validateDeployment(data, options);
  const positions = new PositionIndex(doc.contents);
  const locate = (i: ConfigIssue): ConfigIssue => {
    const range = positions.offsetOf(i.path, i.code === "unknown_key" || i.code === "invalid_key");
    if (range === undefined) return i;
    const pos = lineCounter.linePos(range);
    return { ...i, line: pos.line, column: pos.col };
  };
  return result.ok
    ? { ...result, warnings: capIssues(result.warnings).map(locate), file }
    : { ...result, issues: capIssues(result.issues).map(locate), file };
}

/** Reads a config file: refuses invalid UTF-8 (naming the byte), then loads the text. */
export async function loadDeploymentFile(file: string, options: ValidateOptions = {}): Promise<LoadResult> {
  const bytes = await readFile(file);
  if (bytes.length > MAX_CONFIG_BYTES) return loadDeploymentText(" ".repeat(MAX_CONFIG_BYTES + 1), file, options);
  const decoded = decodeUtf8(bytes);
  if (!decoded.ok) {
    return {
      ok: false,
      file,
      issues: [
        issue(
          "invalid_utf8",
          `byte ${decoded.offset} (0x${decoded.byte.toString(16).padStart(2, "0")}) is not valid UTF-8`,
          "save the file as UTF-8",
          decoded.line,
          decoded.column,
        ),
      ],
    };
  }
  return loadDeploymentText(decoded.text, file, options);
}

/** Reads and validates a config file, throwing a ConfigError (with positions) when invalid. */
export async function readDeploymentFile(file: string, options: ValidateOptions = {}) {
  const result = await loadDeploymentFile(file, options);
  if (!result.ok) throw new ConfigError(result.issues, file);
  return result;
}

export type Utf8Result =
  | { readonly ok: true; readonly text: string }
  | { readonly ok: false; readonly offset: number; readonly byte: number; readonly line: number; readonly column: number };

/** Strict UTF-8 (no silent U+FFFD); on failure, the offset, line and column of the first bad byte. */
export function decodeUtf8(bytes: Uint8Array): Utf8Result {
  try {
    return { ok: true, text: new TextDecoder("utf-8", { fatal: true }).decode(bytes) };
  } catch {
    const offset = firstInvalidUtf8(bytes);
    let line = 1;
    let lineStart = 0;
    for (let i = 0; i < offset; i++) {
      if (bytes[i] === 0x0a) {
        line++;
        lineStart = i + 1;
      }
    }
    return { ok: false, offset, byte: bytes[offset] ?? 0, line, column: offset - lineStart + 1 };
  }
}

function firstInvalidUtf8(b: Uint8Array): number {
  let i = 0;
  while (i < b.length) {
    const c = b[i]!;
    const cont = (k: number, lo = 0x80, hi = 0xbf) => {
      const x = b[i + k];
      return x !== undefined && x >= lo && x <= hi;
    };
    if (c < 0x80) i += 1;
    else if (c >= 0xc2 && c <= 0xdf && cont(1)) i += 2;
    else if (c === 0xe0 && cont(1, 0xa0) && cont(2)) i += 3;
    else if (((c >= 0xe1 && c <= 0xec) || c === 0xee || c === 0xef) && cont(1) && cont(2)) i += 3;
    else if (c === 0xed && cont(1, 0x80, 0x9f) && cont(2)) i += 3;
    else if (c === 0xf0 && cont(1, 0x90) && cont(2) && cont(3)) i += 4;
    else if (c >= 0xf1 && c <= 0xf3 && cont(1) && cont(2) && cont(3)) i += 4;
    else if (c === 0xf4 && cont(1, 0x80, 0x8f) && cont(2) && cont(3)) i += 4;
    else return i;
  }
  return b.length;
}

/** One pass of the YAML lexer: token count and flow-collection depth, before any node is built. */
function scanTokens(text: string): ConfigIssue | undefined {
  let tokens = 0;
  let flowDepth = 0;
  for (const token of new Lexer().lex(text)) {
    if (++tokens > MAX_CONFIG_TOKENS) {
      return issue(
        "config_too_complex",
        `the config has more than ${MAX_CONFIG_TOKENS} YAML tokens; a rouse config has a few hundred`,
        "remove the repeated or generated part",
      );
    }
    if (token === "[" || token === "{") {
      if (++flowDepth > MAX_CONFIG_DEPTH) return tooDeep();
    } else if (token === "]" || token === "}") flowDepth = Math.max(0, flowDepth - 1);
  }
  return undefined;
}

const tooDeep = () =>
  issue(
    "too_deep",
    `the config nests deeper than ${MAX_CONFIG_DEPTH} levels`,
    "a rouse config is a few levels deep: check the indentation and brackets",
  );

/**
 * One iterative pass over the YAML tree: duplicate keys (a Set per mapping), keys that
 * are not plain scalars, nesting depth, and integers a JavaScript number cannot hold exactly.
 */
function checkStructure(root: unknown, linePos: (offset: number) => { line: number; col: number }): ConfigIssue[] {
  const issues: ConfigIssue[] = [];
  const at = (node: { range?: [number, number, number] | null } | null | undefined) => {
    const pos = node?.range ? linePos(node.range[0]) : undefined;
    return pos ? { line: pos.line, column: pos.col } : {};
  };
  const stack: { node: unknown; depth: number }[] = [{ node: root, depth: 0 }];
  while (stack.length > 0 && issues.length <= MAX_REPORTED_ISSUES) {
    const { node, depth } = stack.pop()!;
    if (isMap(node) || isSeq(node)) {
      if (depth >= MAX_CONFIG_DEPTH) {
        const where = at(node);
        issues.push({ ...tooDeep(), ...where });
        break;
      }
    }
    if (isMap(node)) {
      const seen = new Map<unknown, Pair>();
      for (const pair of node.items) {
        const key = pair.key;
        if (!isScalar(key) || (typeof key.value !== "string" && typeof key.value !== "number" && typeof key.value !== "boolean")) {
          issues.push({ ...issue("invalid_key", "mapping keys must be plain names", "write the key as a plain word"), ...at(key as Node) });
          continue;
        }
        const name = String(key.value);
        const first = seen.get(name);
        if (first) {
          const firstPos = at(first.key as Node);
          issues.push({
            ...issue(
              "duplicate_key",
              `key '${name.length > 64 ? `${name.slice(0, 64)}…` : name}' appears twice in one mapping${firstPos.line ? ` (first on line ${firstPos.line})` : ""}`,
              "remove one of them: YAML keeps only one, and which one is not what you meant",
            ),
            ...at(key),
          });
        } else seen.set(name, pair);
        stack.push({ node: pair.value, depth: depth + 1 });
      }
    } else if (isSeq(node)) {
      for (const item of node.items) stack.push({ node: isPair(item) ? item.value : item, depth: depth + 1 });
    } else if (isScalar(node) && typeof node.value === "number" && Number.isInteger(node.value) && !Number.isSafeInteger(node.value)) {
      issues.push({
        ...issue(
          "unsafe_integer",
          `${node.source ?? String(node.value)} is beyond ±2^53 and would silently lose precision`,
          "use a smaller number (every rouse field is far below 2^53)",
        ),
        ...at(node),
      });
    } else if (isAlias(node)) {
      // Aliases point at nodes visited where they are defined.
    }
  }
  return issues;
}

function capIssues(issues: readonly ConfigIssue[]): ConfigIssue[] {
  if (issues.length <= MAX_REPORTED_ISSUES) return [...issues];
  const rest = issues.length - MAX_REPORTED_ISSUES;
  const severity = issues.slice(MAX_REPORTED_ISSUES).some((i) => i.severity === "error") ? "error" : "warning";
  return [
    ...issues.slice(0, MAX_REPORTED_ISSUES),
    { severity, code: "more_issues", path: [], message: `${rest} more issue${rest === 1 ? "" : "s"} not shown`, fix: "fix the ones above first" },
  ];
}

/** Offsets of values and keys by config path, from per-mapping indexes built on first use. */
class PositionIndex {
  private readonly maps = new WeakMap<object, Map<string, Pair>>();
  private readonly root: unknown;
  constructor(root: unknown) {
    this.root = root;
  }

  private pairOf(map: { items: Pair[] }, key: string | number): Pair | undefined {
    let index = this.maps.get(map);
    if (!index) {
      index = new Map();
      for (const pair of map.items) {
        if (isScalar(pair.key) && !index.has(String(pair.key.value))) index.set(String(pair.key.value), pair);
      }
      this.maps.set(map, index);
    }
    return index.get(String(key));
  }

  /**
   * Start offset of the value at `path`; for a missing field, of the key of the
   * nearest ancestor that exists (where the user would add it).
   */
  offsetOf(path: readonly (string | number)[], pointAtKey: boolean): number | undefined {
    let node = this.root as Node | null | undefined;
    let best = node?.range?.[0];
    for (let i = 0; i < path.length; i++) {
      const segment = path[i]!;
      if (isMap(node)) {
        const pair = this.pairOf(node as unknown as { items: Pair[] }, segment);
        if (!pair) return best;
        const keyStart = isScalar(pair.key) ? pair.key.range?.[0] : undefined;
        const last = i === path.length - 1;
        if (last && pointAtKey) return keyStart ?? best;
        node = pair.value as Node | null;
        if (last) return node?.range?.[0] ?? keyStart ?? best;
        best = keyStart ?? best;
      } else if (isSeq(node) && typeof segment === "number") {
        node = node.items[segment] as Node | undefined;
        best = node?.range?.[0] ?? best;
      } else {
        return best;
      }
    }
    return best;
  }
}
