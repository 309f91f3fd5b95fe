import { playground } from "./client/app.ts";
import { parseMarkdown } from "./client/markdown.ts";
import { readSse } from "./client/sse.ts";

// The browser script without a bundler: the client modules are written as
// self-contained functions (type-checked, linted and unit-tested like the rest),
// and the page gets their source text. Whatever loaded this module — tsc's output,
// Node's type stripping, vitest — `Function#toString` gives plain JavaScript.

/** The playground's script, built once per process. */
export function playgroundScript(): string {
  return `"use strict";\n(${playground.toString()})({\n  parseMarkdown: ${parseMarkdown.toString()},\n  readSse: ${readSse.toString()},\n});\n`;
}
