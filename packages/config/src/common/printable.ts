// Config values end up in error messages printed to a terminal. A value holding ESC
// sequences (`\x1b]0;…`, `\x1b[2J`), C1 controls (`\x9b` is a one-byte CSI), bidi
// overrides or line separators could rewrite the screen or disguise the message, so
// every such character is shown as an escape instead, and huge values are shortened.

const UNPRINTABLE = /[\u0000-\u001f\u007f-\u009f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069\ufeff]/gu;

const escapeChar = (c: string) => {
  const code = c.codePointAt(0)!;
  if (c === "\n") return "\\n";
  if (c === "\r") return "\\r";
  if (c === "\t") return "\\t";
  return code <= 0xff ? `\\x${code.toString(16).padStart(2, "0")}` : `\\u${code.toString(16).padStart(4, "0")}`;
};

/** One line of text safe to print: control, bidi and separator characters escaped; at most `max` characters kept. */
export function printable(text: string, max = 2000): string {
  const short = text.length > max ? `${text.slice(0, max / 2)}…(${text.length - max} characters)…${text.slice(-max / 2)}` : text;
  return short.replace(UNPRINTABLE, escapeChar);
}

/** Like printable, but keeps line breaks (for messages that are several lines on purpose). */
export function printableLines(text: string, max = 20_000): string {
  return text
    .split("\n")
    .map((line) => printable(line, max))
    .join("\n");
}

/** JSON text with the characters JSON.stringify leaves raw (C1 controls, bidi, separators) escaped too. */
export function printableJson(json: string): string {
  return json.replace(/[\u007f-\u009f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069\ufeff]/gu, (c) => `\\u${c.codePointAt(0)!.toString(16).padStart(4, "0")}`);
}
