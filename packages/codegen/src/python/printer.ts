import { type Expr, LINE_WIDTH, renderExpr, textWidth } from "./expr.ts";
import { pyCommentLines } from "./literal.ts";

// A line-and-indent printer for Python. Sections write statements; imports are
// collected where they are used and printed once at the top, grouped the way ruff's
// isort rule wants them (standard library, then third party). Blank lines follow
// ruff's layout: two around top-level definitions, one between methods.

/** `@name` as text, or `@` + an expression (a decorator call with arguments). */
export type Decorator = string | Expr;

export class PyPrinter {
  private readonly lines: string[] = [];
  private readonly stdlib = new Set<string>();
  private readonly thirdParty = new Set<string>();
  private depth = 0;
  private pendingBlank = 0;
  private opened = false;
  private readonly headerLines: string[] = [];

  /** `import module` at the top of the file (stdlib unless `thirdParty`). */
  import(module: string, thirdParty = false): this {
    (thirdParty ? this.thirdParty : this.stdlib).add(module);
    return this;
  }

  private get indent(): string {
    return " ".repeat(this.depth * 4);
  }

  private push(text: string): void {
    // No blank lines at the top of the file or of a block.
    if (!this.opened && this.lines.length > 0)
      for (let i = 0; i < this.pendingBlank; i++) this.lines.push("");
    this.pendingBlank = 0;
    this.opened = false;
    this.lines.push(text === "" ? "" : this.indent + text);
  }

  /** At least `n` blank lines before whatever comes next (never at a block's start). */
  blank(n = 1): this {
    this.pendingBlank = Math.max(this.pendingBlank, n);
    return this;
  }

  /** Raw source lines at the current indentation (static code, never data). */
  code(...lines: string[]): this {
    for (const l of lines) {
      if (l === "") this.blank(1);
      else this.push(l);
    }
    return this;
  }

  /**
   * Static Python source, exactly as written (blank lines included), at the current
   * indentation. Only code that carries no data goes through here.
   */
  verbatim(source: string): this {
    const lines = source.replace(/^\n+|\n+$/g, "").split("\n");
    for (const l of lines) this.push(l);
    return this;
  }

  /** Template lines, each exactly as given (blank ones too), at the current indentation. */
  templateLines(lines: readonly string[]): this {
    for (const l of lines) this.push(l);
    return this;
  }

  /** Runs `body` at indentation `depth` (a template's fill), then returns to the current one. */
  at(depth: number, body: () => void): this {
    const saved = this.depth;
    this.depth = depth;
    body();
    this.depth = saved;
    return this;
  }

  /** Own-line comment(s); free text is sanitised by pyCommentLines. */
  comment(text: string): this {
    for (const l of pyCommentLines(text, LINE_WIDTH - this.depth * 4)) this.push(l);
    return this;
  }

  /** `head<expr>tail`, laid out by renderExpr; a short trailing comment stays on the line when it fits. */
  stmt(head: string, e: Expr, tail = "", trailingComment?: string): this {
    const lines = renderExpr(e, this.indent + head, tail, this.depth * 4);
    if (trailingComment) {
      const one = lines.length === 1 ? `${lines[0]}  # ${trailingComment}` : undefined;
      if (one && textWidth(one) <= LINE_WIDTH) {
        this.push(one.slice(this.indent.length));
        return this;
      }
      this.comment(trailingComment);
    }
    for (const l of lines) this.push(l.slice(this.indent.length));
    return this;
  }

  /** A compound statement whose header holds an expression: `if <expr>:`, `with <expr> as x:`. */
  blockStmt(head: string, e: Expr, tail: string, body: () => void): this {
    this.stmt(head, e, tail);
    return this.indented(body);
  }

  /** `header:` followed by an indented body. */
  block(header: string, body: () => void): this {
    this.push(header);
    return this.indented(body);
  }

  private indented(body: () => void): this {
    this.depth++;
    this.opened = true;
    const before = this.lines.length;
    body();
    if (this.lines.length === before) this.push("pass");
    this.depth--;
    return this;
  }

  /**
   * A `def`/`class` with its own comment and decorators, spaced the way ruff spaces
   * them: two blank lines around top-level definitions, one around methods.
   */
  definition(
    spec: { header: string; comment?: string; decorators?: readonly Decorator[] },
    body: () => void,
  ): this {
    this.blank(this.depth === 0 ? 2 : 1);
    if (spec.comment) this.comment(spec.comment);
    for (const d of spec.decorators ?? []) {
      if (typeof d === "string") this.push(d);
      else this.stmt("@", d);
    }
    this.block(spec.header, body);
    this.blank(this.depth === 0 ? 2 : 1);
    return this;
  }

  /** Comment lines printed above the imports (the file's title and how to run it). */
  header(text: string): this {
    this.headerLines.push(...pyCommentLines(text, LINE_WIDTH));
    return this;
  }

  toString(): string {
    const byName = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);
    const out: string[] = [];
    if (this.headerLines.length) out.push(...this.headerLines, "");
    for (const m of [...this.stdlib].sort(byName)) out.push(`import ${m}`);
    if (this.stdlib.size && this.thirdParty.size) out.push("");
    for (const m of [...this.thirdParty].sort(byName)) out.push(`import ${m}`);
    if (this.stdlib.size || this.thirdParty.size) out.push("");
    const body = [...this.lines];
    while (body[0] === "") body.shift();
    out.push(...body);
    while (out[out.length - 1] === "") out.pop();
    return `${out.join("\n")}\n`;
  }
}
