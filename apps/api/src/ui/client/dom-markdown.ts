/// <reference lib="dom" />
import type { MdBlock, MdInline } from "./markdown.ts";

// parseMarkdown's tree → DOM, with createElement and text nodes only: tags come
// from this file, text from the model, and never the other way round. Shipped as
// its own source text (see ../script.ts): one self-contained function.

/** Replaces `target`'s children with the rendered blocks. */
export function renderMarkdown(target: HTMLElement, blocks: readonly MdBlock[]): void {
  const el = <K extends keyof HTMLElementTagNameMap>(tag: K, cls?: string, text?: string) => {
    const e = document.createElement(tag);
    if (cls) e.className = cls;
    if (text !== undefined) e.textContent = text;
    return e;
  };
  function renderInline(parent: Node, nodes: readonly MdInline[]): void {
    for (const n of nodes) {
      if (n.t === "text") parent.appendChild(document.createTextNode(n.v));
      else if (n.t === "code") parent.appendChild(el("code", "", n.v));
      else if (n.t === "br") parent.appendChild(el("br"));
      else if (n.t === "link") {
        const a = el("a");
        // parseMarkdown only emits http(s) URLs; checked again where the attribute is set.
        if (/^https?:\/\//i.test(n.href)) a.href = n.href;
        a.rel = "noopener noreferrer nofollow";
        a.target = "_blank";
        renderInline(a, n.c);
        parent.appendChild(a);
      } else {
        const e = el(n.t);
        renderInline(e, n.c);
        parent.appendChild(e);
      }
    }
  }

  function renderBlocks(parent: Node, blocks: readonly MdBlock[]): void {
    for (const b of blocks) {
      if (b.t === "p") {
        const p = el("p");
        renderInline(p, b.c);
        parent.appendChild(p);
      } else if (b.t === "h") {
        const h = el(b.level <= 2 ? "h3" : b.level <= 4 ? "h4" : "h5");
        renderInline(h, b.c);
        parent.appendChild(h);
      } else if (b.t === "pre") {
        const pre = el("pre");
        const code = el("code", "", b.v);
        if (b.lang) code.dataset.lang = b.lang;
        pre.appendChild(code);
        parent.appendChild(pre);
      } else if (b.t === "ul" || b.t === "ol") {
        const list = el(b.t);
        if (b.t === "ol" && b.start !== 1) list.setAttribute("start", String(b.start));
        for (const item of b.items) {
          const li = el("li");
          renderInline(li, item);
          list.appendChild(li);
        }
        parent.appendChild(list);
      } else if (b.t === "quote") {
        const q = el("blockquote");
        renderBlocks(q, b.c);
        parent.appendChild(q);
      } else parent.appendChild(el("hr"));
    }
  }

  target.replaceChildren();
  renderBlocks(target, blocks);
}
