import { type PlaygroundLib, playground } from "./client/app.ts";
import { renderMarkdown } from "./client/dom-markdown.ts";
import { fleetCard } from "./client/fleet-card.ts";
import { parseMarkdown } from "./client/markdown.ts";
import { readSse } from "./client/sse.ts";

// The browser script without a bundler: the client modules are written as
// self-contained functions (type-checked, linted and unit-tested like the rest),
// and the page gets their source text. Whatever loaded this module — tsc's output,
// Node's type stripping, vitest — `Function#toString` gives plain JavaScript.

/** The playground's script, built once per process. */
export function playgroundScript(): string {
  const lib: PlaygroundLib = { parseMarkdown, renderMarkdown, readSse, fleetCard };
  const entries = Object.entries(lib).map(([name, fn]) => `  ${name}: ${fn.toString()},\n`);
  return `"use strict";\n(${playground.toString()})({\n${entries.join("")}});\n`;
}
