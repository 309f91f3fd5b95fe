// The ONE place where data becomes Python source. Every value from a config or a
// plugin reaches the emitted app through `pyLiteral`, never through string
// templates, so quotes, backslashes, newlines, `"""` and `{}` are always data.

/** A JSON-like value that has a Python literal. */
export type PyValue =
  | string
  | number
  | boolean
  | null
  | undefined
  | readonly PyValue[]
  | { readonly [key: string]: PyValue };

// Escaped as \xNN/\uNNNN: control, format, separator (except space), surrogate,
// private-use and unassigned code points. This keeps every literal on one line, free
// of invisible or bidi characters ("Trojan source"), and ruff leaves it untouched.
const NEEDS_ESCAPE = /[\p{C}\p{Z}]/u;

function escapeCodePoint(cp: number): string {
  const hex = cp.toString(16); // lowercase: ruff normalizes hex escapes to lowercase
  if (cp <= 0xff) return `\\x${hex.padStart(2, "0")}`;
  if (cp <= 0xffff) return `\\u${hex.padStart(4, "0")}`;
  return `\\U${hex.padStart(8, "0")}`;
}

/**
 * A Python `str` literal holding exactly `value`. Double quotes, unless the text has more
 * `"` than `'` (ruff's rule: the quote that needs fewer escapes), so the output is already
 * `ruff format`-clean. Never an f-string, so `{}` is plain text.
 */
export function pyStr(value: string): string {
  let doubles = 0;
  let singles = 0;
  for (const ch of value) {
    if (ch === '"') doubles++;
    else if (ch === "'") singles++;
  }
  const quote = doubles > singles ? "'" : '"';
  let out = quote;
  // for…of walks code points; a lone surrogate (valid in JS strings) comes out as \udXXX.
  for (const ch of value) {
    if (ch === "\\") out += "\\\\";
    else if (ch === quote) out += `\\${quote}`;
    else if (ch === "\n") out += "\\n";
    else if (ch === "\r") out += "\\r";
    else if (ch === "\t") out += "\\t";
    else if (ch !== " " && NEEDS_ESCAPE.test(ch)) out += escapeCodePoint(ch.codePointAt(0)!);
    else out += ch;
  }
  return out + quote;
}

/** Python's spelling of a finite number (`repr` of an int or float). */
export function pyNumber(value: number): string {
  if (!Number.isFinite(value)) throw new TypeError(`no Python literal for ${value}`);
  if (Object.is(value, -0)) return "-0.0";
  return String(value);
}

/** `value` as a PyValue, or a TypeError naming what has no Python literal (plugin JSON is `unknown`). */
export function toPyValue(value: unknown, where = "value"): PyValue {
  if (value === null || value === undefined || typeof value === "string" || typeof value === "boolean")
    return value;
  if (typeof value === "number") {
    pyNumber(value);
    return value;
  }
  if (Array.isArray(value)) return value.map((v, i) => toPyValue(v, `${where}[${i}]`));
  if (typeof value === "object" && Object.getPrototypeOf(value) === Object.prototype) {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, toPyValue(v, `${where}.${k}`)]));
  }
  throw new TypeError(`${where}: no Python literal for ${typeof value}`);
}

/** A flat, one-line Python literal for any JSON-like value (`render` in expr.ts breaks long ones). */
export function pyLiteral(value: PyValue): string {
  if (value === null || value === undefined) return "None";
  if (typeof value === "string") return pyStr(value);
  if (typeof value === "number") return pyNumber(value);
  if (typeof value === "boolean") return value ? "True" : "False";
  if (Array.isArray(value)) return `[${value.map((v) => pyLiteral(v)).join(", ")}]`;
  const entries = Object.entries(value as Record<string, PyValue>);
  return `{${entries.map(([k, v]) => `${pyStr(k)}: ${pyLiteral(v)}`).join(", ")}}`;
}

/**
 * Comment lines for free text (plugin "why" notes), wrapped at `width` columns: line
 * breaks split lines, and any other control or separator character becomes a space,
 * so a comment never ends early.
 */
export function pyCommentLines(text: string, width = Number.POSITIVE_INFINITY): string[] {
  const out: string[] = [];
  for (const raw of text.split(/\r\n|\r|\n|\u2028|\u2029|\u0085/)) {
    const line = [...raw].map((ch) => (ch !== " " && NEEDS_ESCAPE.test(ch) ? " " : ch)).join("");
    // Keep leading spaces (indented examples); wrap on single spaces after them.
    const indent = /^ */.exec(line)![0];
    let current = "";
    for (const word of line.slice(indent.length).split(" ")) {
      if (current && `# ${indent}${current} ${word}`.length > width) {
        out.push(`# ${indent}${current}`.trimEnd());
        current = word;
      } else current = current ? `${current} ${word}` : word;
    }
    out.push(current.trim() || indent.trim() ? `# ${indent}${current}`.trimEnd() : "#");
  }
  return out;
}

/** Python keywords, and names the emitted app uses, that a generated name must never take. */
const RESERVED = new Set(
  (
    "False None True and as assert async await break class continue def del elif else except finally for from " +
    "global if import in is lambda nonlocal not or pass raise return try while with yield " +
    "app image modal os json time subprocess threading asyncio hmac urllib print type list dict str int float " +
    // the emitted app's own functions and constants
    "start_engine engine_call wait_ready wait_for warmup sleep wake_up boot_mark report_boot boot_header " +
    "start_guard guard_worker serve_guard guard_check guard_answer guard_refusal boot_header_line new_event_loop route_access first_rule " +
    "is_ambiguous guard_env write_boot_file ADMIN_TOKEN GUARD_MODULE GUARD_FILES GuardRequest GuardRefused GuardChunks GuardClient GuardEngine smoke_test test serve download_weights re typing"
  ).split(" "),
);

/** A safe Python identifier derived from `name` (never a keyword or a name the app uses). */
export function pyIdentifier(name: string): string {
  let id = name.replace(/[^A-Za-z0-9_]/g, "_");
  if (!/^[A-Za-z_]/.test(id)) id = `_${id}`;
  return RESERVED.has(id) ? `${id}_` : id;
}
