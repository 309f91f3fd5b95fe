import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { type MdBlock, type MdInline, parseMarkdown } from "./markdown.ts";

const inlineText = (nodes: readonly MdInline[]): string =>
  nodes.map((n) => (n.t === "text" || n.t === "code" ? n.v : n.t === "br" ? "\n" : inlineText(n.c))).join("");

function* allInline(blocks: readonly MdBlock[]): Generator<MdInline> {
  const walk = function* (nodes: readonly MdInline[]): Generator<MdInline> {
    for (const n of nodes) {
      yield n;
      if (n.t === "strong" || n.t === "em" || n.t === "link") yield* walk(n.c);
    }
  };
  for (const b of blocks) {
    if (b.t === "p" || b.t === "h") yield* walk(b.c);
    else if (b.t === "ul" || b.t === "ol") for (const i of b.items) yield* walk(i);
    else if (b.t === "quote") yield* allInline(b.c);
  }
}

describe("parseMarkdown", () => {
  it("parses what chat answers use", () => {
    const md = [
      "# Title ##",
      "Some **bold**, *em*, `a < b` and [a link](https://example.com/x).",
      "second line",
      "",
      "- one",
      "- two",
      "",
      "3. three",
      "4. four",
      "",
      "> quoted *text*",
      "",
      "---",
      "```ts",
      "const x = 1 < 2;",
      "```",
    ].join("\n");
    expect(parseMarkdown(md)).toEqual([
      { t: "h", level: 1, c: [{ t: "text", v: "Title" }] },
      {
        t: "p",
        c: [
          { t: "text", v: "Some " },
          { t: "strong", c: [{ t: "text", v: "bold" }] },
          { t: "text", v: ", " },
          { t: "em", c: [{ t: "text", v: "em" }] },
          { t: "text", v: ", " },
          { t: "code", v: "a < b" },
          { t: "text", v: " and " },
          { t: "link", href: "https://example.com/x", c: [{ t: "text", v: "a link" }] },
          { t: "text", v: "." },
          { t: "br" },
          { t: "text", v: "second line" },
        ],
      },
      { t: "ul", items: [[{ t: "text", v: "one" }], [{ t: "text", v: "two" }]] },
      { t: "ol", start: 3, items: [[{ t: "text", v: "three" }], [{ t: "text", v: "four" }]] },
      {
        t: "quote",
        c: [
          {
            t: "p",
            c: [
              { t: "text", v: "quoted " },
              { t: "em", c: [{ t: "text", v: "text" }] },
            ],
          },
        ],
      },
      { t: "hr" },
      { t: "pre", lang: "ts", v: "const x = 1 < 2;", open: false },
    ]);
  });

  it("renders a stream cut mid-way as far as it got: an open fence, an unclosed mark", () => {
    expect(parseMarkdown("```py\nprint(1)")).toEqual([{ t: "pre", lang: "py", v: "print(1)", open: true }]);
    expect(parseMarkdown("so **bo")).toEqual([{ t: "p", c: [{ t: "text", v: "so **bo" }] }]);
    expect(parseMarkdown("snake_case_name")).toEqual([{ t: "p", c: [{ t: "text", v: "snake_case_name" }] }]);
  });

  it("keeps every link an absolute http(s) URL; other schemes stay text", () => {
    for (const href of [
      "javascript:alert(1)",
      "JaVaScRiPt:alert(1)",
      " javascript:alert(1)",
      "java\tscript:alert(1)",
      "data:text/html,<script>alert(1)</script>",
      "vbscript:x",
      "//evil.example/x",
      "/relative",
      "http:/broken",
    ]) {
      const blocks = parseMarkdown(`[x](${href})`);
      const links = [...allInline(blocks)].filter((n) => n.t === "link");
      expect(links, href).toEqual([]);
      expect(inlineText(blocks.flatMap((b) => (b.t === "p" ? b.c : []))), href).toContain("[x]");
    }
    const [p] = parseMarkdown("[x](https://a.example/?q=<script>)");
    expect(p).toEqual({
      t: "p",
      c: [{ t: "link", href: "https://a.example/?q=%3Cscript%3E", c: [{ t: "text", v: "x" }] }],
    });
  });

  it("never loses or invents text, and links are http(s), for any input", () => {
    // "7" stands for content: every one in the input must come out exactly once, as
    // text, code, a code block's text or language, a link's URL, or a list's start.
    const alphabet = fc.constantFrom(
      ..."ab7 <>&\"'`*_[]()#->!\\\n\r\t:/.~".split(""),
      "https://x.y",
      "javascript:",
      "```",
    );
    fc.assert(
      fc.property(
        fc.array(alphabet, { maxLength: 120 }).map((a) => a.join("")),
        (src) => {
          const blocks = parseMarkdown(src);
          const pieces: string[] = [];
          for (const n of allInline(blocks)) {
            if (n.t === "link") {
              expect(new URL(n.href).protocol).toMatch(/^https?:$/);
              pieces.push(n.href);
            }
            if (n.t === "text" || n.t === "code") pieces.push(n.v);
          }
          const visit = (bs: readonly MdBlock[]) => {
            for (const b of bs) {
              if (b.t === "pre") pieces.push(b.v, b.lang);
              if (b.t === "ol") pieces.push(String(b.start));
              if (b.t === "quote") visit(b.c);
            }
          };
          visit(blocks);
          const sevens = (t: string) => t.replace(/[^7]/g, "").length;
          expect(sevens(pieces.join(""))).toBe(sevens(src));
        },
      ),
      { numRuns: 1000 },
    );
  });

  // Hard bound (generous): a hostile answer must not freeze the tab. Each input is
  // ~200 KB of marks that never close, which a naive indexOf/regex parser handles in
  // quadratic time (minutes).
  it("stays fast on pathological input", { timeout: 20_000 }, () => {
    const n = 100_000;
    for (const src of [
      "*a ".repeat(n),
      "**a ".repeat(n),
      "[a ".repeat(n),
      "`a ".repeat(n),
      `# ${" ".repeat(n * 2)}x`,
      `# ${"#".repeat(n * 2)}x`,
      "> ".repeat(n),
      "- - ".repeat(n),
      "_a ".repeat(n),
    ]) {
      const started = performance.now();
      parseMarkdown(src);
      expect(performance.now() - started, src.slice(0, 10)).toBeLessThan(5_000);
    }
  });
});
