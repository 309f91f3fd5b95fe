// Markdown → a small tree of known node kinds, never HTML. The page builds DOM
// nodes from the tree with createElement/textContent only, so nothing in a model's
// answer can become markup, a script or an event handler. Also shipped to the
// browser as its source text (see ../script.ts): it must stay one self-contained
// function — no imports, no references outside its own body.

export type MdInline =
  | { readonly t: "text"; readonly v: string }
  | { readonly t: "code"; readonly v: string }
  | { readonly t: "strong" | "em"; readonly c: readonly MdInline[] }
  /** `href` is always an absolute http(s) URL; anything else stays text. */
  | { readonly t: "link"; readonly href: string; readonly c: readonly MdInline[] }
  | { readonly t: "br" };

export type MdBlock =
  | { readonly t: "p"; readonly c: readonly MdInline[] }
  | { readonly t: "h"; readonly level: number; readonly c: readonly MdInline[] }
  /** A fenced code block; `open` while its closing fence has not arrived (streaming). */
  | { readonly t: "pre"; readonly lang: string; readonly v: string; readonly open: boolean }
  | { readonly t: "ul"; readonly items: readonly (readonly MdInline[])[] }
  | { readonly t: "ol"; readonly start: number; readonly items: readonly (readonly MdInline[])[] }
  | { readonly t: "quote"; readonly c: readonly MdBlock[] }
  | { readonly t: "hr" };

/**
 * The Markdown a chat answer uses: paragraphs, `#` headings, fenced code, lists,
 * quotes, rules, `code`, **strong**, *em*, [links](https://…). Linear time; an
 * unclosed fence or emphasis (a stream cut mid-way) renders as far as it got.
 */
export function parseMarkdown(source: string): MdBlock[] {
  const MAX_DEPTH = 8;

  function safeHref(raw: string): string | undefined {
    if (!/^https?:\/\//i.test(raw)) return undefined;
    try {
      const u = new URL(raw);
      return u.protocol === "http:" || u.protocol === "https:" ? u.href : undefined;
    } catch {
      return undefined;
    }
  }

  function inline(text: string, depth: number): MdInline[] {
    const out: MdInline[] = [];
    // indexOf with memory: a mark that has no closing partner further on is not
    // searched for again, so many unclosed marks cost linear time, not quadratic.
    const memo = new Map<string, { from: number; at: number }>();
    const find = (mark: string, from: number): number => {
      const m = memo.get(mark);
      if (m && m.from <= from && (m.at === -1 || m.at >= from)) return m.at;
      const at = text.indexOf(mark, from);
      memo.set(mark, { from, at });
      return at;
    };
    let plain = "";
    const flush = () => {
      if (plain) out.push({ t: "text", v: plain });
      plain = "";
    };
    let i = 0;
    while (i < text.length) {
      const ch = text[i]!;
      if (ch === "\\" && i + 1 < text.length && /[\\`*_[\]()#>!-]/.test(text[i + 1]!)) {
        plain += text[i + 1];
        i += 2;
        continue;
      }
      if (ch === "\n") {
        flush();
        out.push({ t: "br" });
        i++;
        continue;
      }
      if (ch === "`") {
        let ticks = 1;
        while (text[i + ticks] === "`") ticks++;
        const fence = "`".repeat(ticks);
        const end = find(fence, i + ticks);
        if (end > 0) {
          flush();
          out.push({ t: "code", v: text.slice(i + ticks, end).replace(/^ (.*) $/s, "$1") });
          i = end + ticks;
          continue;
        }
        plain += fence;
        i += ticks;
        continue;
      }
      if ((ch === "*" || ch === "_") && depth < MAX_DEPTH) {
        const strong = text[i + 1] === ch;
        const mark = strong ? ch + ch : ch;
        const from = i + mark.length;
        // Emphasis needs text right after the opening mark, and `_` inside words (snake_case) is no mark.
        const opens =
          from < text.length && !/\s/.test(text[from]!) && !(ch === "_" && i > 0 && /\w/.test(text[i - 1]!));
        const end = opens ? find(mark, from + 1) : -1;
        if (end > from) {
          flush();
          out.push({ t: strong ? "strong" : "em", c: inline(text.slice(from, end), depth + 1) });
          i = end + mark.length;
          continue;
        }
        plain += mark;
        i += mark.length;
        continue;
      }
      if (ch === "[" && depth < MAX_DEPTH) {
        const close = find("](", i + 1);
        const paren = close > i ? find(")", close + 2) : -1;
        const newline = find("\n", i);
        if (close > i && paren > close && (newline < 0 || newline > paren)) {
          const href = safeHref(text.slice(close + 2, paren).trim());
          if (href) {
            flush();
            out.push({ t: "link", href, c: inline(text.slice(i + 1, close), depth + 1) });
            i = paren + 1;
            continue;
          }
        }
      }
      plain += ch;
      i++;
    }
    flush();
    return out;
  }

  function blocks(lines: readonly string[], depth: number): MdBlock[] {
    const out: MdBlock[] = [];
    let para: string[] = [];
    const endPara = () => {
      if (para.length > 0) out.push({ t: "p", c: inline(para.join("\n"), 0) });
      para = [];
    };
    let i = 0;
    while (i < lines.length) {
      const line = lines[i]!;
      const fence = /^ {0,3}(`{3,}|~{3,})(.*)$/.exec(line);
      // A backtick fence's info string has no backticks (else it is inline code).
      if (fence && !(fence[1]![0] === "`" && fence[2]!.includes("`"))) {
        endPara();
        const marker = fence[1]!;
        const body: string[] = [];
        i++;
        let open = true;
        while (i < lines.length) {
          const l = lines[i]!;
          if (l.trim().startsWith(marker) && l.trim().replace(/[`~]/g, "") === "") {
            open = false;
            i++;
            break;
          }
          body.push(l);
          i++;
        }
        out.push({ t: "pre", lang: fence[2]!.trim(), v: body.join("\n"), open });
        continue;
      }
      if (/^\s*$/.test(line)) {
        endPara();
        i++;
        continue;
      }
      const heading = /^ {0,3}(#{1,6})(?:\s|$)/.exec(line);
      if (heading) {
        endPara();
        // The closing #s go (done by hand: a regex for it backtracks quadratically on long runs).
        let title = line.slice(heading[0].length).trimEnd();
        let j = title.length;
        while (j > 0 && title[j - 1] === "#") j--;
        if (j === 0 || /\s/.test(title[j - 1]!)) title = title.slice(0, j).trimEnd();
        out.push({ t: "h", level: heading[1]!.length, c: inline(title.trim(), 0) });
        i++;
        continue;
      }
      if (/^ {0,3}([-*_])(\s*\1){2,}\s*$/.test(line)) {
        endPara();
        out.push({ t: "hr" });
        i++;
        continue;
      }
      if (/^ {0,3}>/.test(line)) {
        endPara();
        const quoted: string[] = [];
        while (i < lines.length && /^ {0,3}>/.test(lines[i]!)) {
          quoted.push(lines[i]!.replace(/^ {0,3}> ?/, ""));
          i++;
        }
        // Deeply nested quotes flatten to text instead of recursing without bound.
        out.push(
          depth < MAX_DEPTH
            ? { t: "quote", c: blocks(quoted, depth + 1) }
            : { t: "p", c: inline(quoted.join("\n"), 0) },
        );
        continue;
      }
      const bullet = /^\s*([-*+])\s+/;
      const numbered = /^\s*(\d{1,9})[.)]\s+/;
      if (bullet.test(line) || numbered.test(line)) {
        endPara();
        const ordered = numbered.exec(line);
        const marker = ordered ? numbered : bullet;
        const items: MdInline[][] = [];
        while (i < lines.length && marker.test(lines[i]!)) {
          const item = [lines[i]!.replace(marker, "")];
          i++;
          // Indented continuation lines belong to the item (nested lists flatten into it).
          while (i < lines.length && /^\s{2,}\S/.test(lines[i]!) && !marker.test(lines[i]!)) {
            item.push(lines[i]!.trim());
            i++;
          }
          items.push(inline(item.join("\n"), 0));
        }
        out.push(ordered ? { t: "ol", start: Number(ordered[1]), items } : { t: "ul", items });
        continue;
      }
      para.push(line);
      i++;
    }
    endPara();
    return out;
  }

  return blocks(source.split(/\r\n|\r|\n/), 0);
}
