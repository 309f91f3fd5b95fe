import { type PyValue, pyCommentLines, pyLiteral, pyStr } from "./literal.ts";

// Python expressions as a tiny tree, rendered the way `ruff format` lays them out:
// one line when it fits in LINE_WIDTH, otherwise one element per line with a trailing
// comma. Ruff keeps a bracket with a trailing comma ("magic trailing comma") broken,
// and a one-line form that fits stays one line, so the output is a fixed point of ruff
// at its default width (88) and at any wider setting.

export const LINE_WIDTH = 88;

export type Expr =
  | { readonly kind: "atom"; readonly text: string }
  | { readonly kind: "call"; readonly callee: string; readonly args: readonly Item[] }
  | { readonly kind: "list"; readonly items: readonly Item[]; readonly breakAlways: boolean }
  | { readonly kind: "dict"; readonly items: readonly Item[]; readonly breakAlways: boolean };

/** One element of a bracket: `value`, `name=value` (call keyword) or `key: value` (dict). */
export interface Item {
  readonly value: Expr;
  readonly name?: string;
  readonly key?: Expr;
  /** Own-line comment above the element (forces the bracket to break). */
  readonly comment?: string;
}

/** Source text used as is: names, numbers, `15 * MINUTES`. */
export const atom = (text: string): Expr => ({ kind: "atom", text });
/** Data: always through the one escaping function. */
export const lit = (value: PyValue): Expr => {
  if (Array.isArray(value)) return list(value.map((v) => lit(v)));
  if (value !== null && typeof value === "object") {
    return dict(Object.entries(value as Record<string, PyValue>).map(([k, v]) => entry(k, lit(v))));
  }
  return atom(pyLiteral(value as PyValue));
};
export const call = (callee: string, ...args: readonly (Item | Expr)[]): Expr => ({
  kind: "call",
  callee,
  args: args.map(toItem),
});
export const kw = (name: string, value: Expr | PyValue, comment?: string): Item => ({
  name,
  value: isExpr(value) ? value : lit(value),
  ...(comment ? { comment } : {}),
});
/** `breakAlways`: one element per line even when it would fit (lists that carry free text). */
export const list = (items: readonly (Item | Expr)[], breakAlways = false): Expr => ({
  kind: "list",
  items: items.map(toItem),
  breakAlways,
});
export const dict = (items: readonly Item[], breakAlways = false): Expr => ({
  kind: "dict",
  items,
  breakAlways,
});
export const entry = (key: string | Expr, value: Expr | PyValue, comment?: string): Item => ({
  key: typeof key === "string" ? atom(pyStr(key)) : key,
  value: isExpr(value) ? value : lit(value),
  ...(comment ? { comment } : {}),
});
export const item = (value: Expr, comment?: string): Item => ({ value, ...(comment ? { comment } : {}) });

function isExpr(v: unknown): v is Expr {
  return (
    typeof v === "object" && v !== null && "kind" in v && typeof (v as { kind: unknown }).kind === "string"
  );
}
function toItem(v: Item | Expr): Item {
  return isExpr(v) ? { value: v } : v;
}

const BRACKETS = { call: ["(", ")"], list: ["[", "]"], dict: ["{", "}"] } as const;

function itemPrefix(i: Item): string {
  if (i.name !== undefined) return `${i.name}=`;
  if (i.key !== undefined) return `${flat(i.key)}: `;
  return "";
}

/** The one-line form, or null when the expression must break (comments, breakAlways). */
export function flat(e: Expr): string | null {
  if (e.kind === "atom") return e.text;
  if (e.kind !== "call" && e.breakAlways && e.items.length > 0) return null;
  const items = e.kind === "call" ? e.args : e.items;
  const parts: string[] = [];
  for (const i of items) {
    if (i.comment) return null;
    const v = flat(i.value);
    if (v === null) return null;
    parts.push(itemPrefix(i) + v);
  }
  const [open, close] = BRACKETS[e.kind];
  return `${e.kind === "call" ? e.callee : ""}${open}${parts.join(", ")}${close}`;
}

/** Display width as ruff measures it: East Asian wide characters count 2, combining marks 0. */
export function textWidth(text: string): number {
  let width = 0;
  for (const ch of text) {
    const cp = ch.codePointAt(0)!;
    if (cp < 0x7f) width += 1;
    else if (/[\p{Mn}\p{Me}]/u.test(ch)) width += 0;
    else if (isWide(cp)) width += 2;
    else width += 1;
  }
  return width;
}

function isWide(cp: number): boolean {
  return (
    (cp >= 0x1100 && cp <= 0x115f) ||
    (cp >= 0x2e80 && cp <= 0xa4cf && cp !== 0x303f) ||
    (cp >= 0xac00 && cp <= 0xd7a3) ||
    (cp >= 0xf900 && cp <= 0xfaff) ||
    (cp >= 0xfe30 && cp <= 0xfe4f) ||
    (cp >= 0xff00 && cp <= 0xff60) ||
    (cp >= 0xffe0 && cp <= 0xffe6) ||
    (cp >= 0x1f300 && cp <= 0x1f64f) ||
    (cp >= 0x1f900 && cp <= 0x1f9ff) ||
    (cp >= 0x20000 && cp <= 0x3fffd)
  );
}

const pad = (n: number) => " ".repeat(n);

/**
 * Lines for `head + expr + tail` at `indent` (head already carries the indentation):
 * flat when it fits, else broken bracket by bracket, outermost first.
 */
export function renderExpr(e: Expr, head: string, tail: string, indent: number): string[] {
  const f = flat(e);
  if (f !== null && textWidth(head + f + tail) <= LINE_WIDTH) return [head + f + tail];
  if (e.kind === "atom") return [head + e.text + tail];
  const items = e.kind === "call" ? e.args : e.items;
  const [open, close] = BRACKETS[e.kind];
  const opener = `${head}${e.kind === "call" ? e.callee : ""}${open}`;
  if (items.length === 0) return [`${opener}${close}${tail}`];
  const inner = indent + 4;
  const lines = [opener];
  for (const i of items) {
    if (i.comment) lines.push(...pyCommentLines(i.comment, LINE_WIDTH - inner).map((c) => pad(inner) + c));
    lines.push(...renderExpr(i.value, pad(inner) + itemPrefix(i), ",", inner));
  }
  lines.push(`${pad(indent)}${close}${tail}`);
  return lines;
}
