/** Serialise one SSE event (the inverse of `createSseParser`), ending with the blank line. */
export function encodeSseEvent(event: { data: string; event?: string; id?: string; retry?: number }): string {
  let out = "";
  if (event.event !== undefined) out += `event: ${event.event}\n`;
  if (event.id !== undefined) out += `id: ${event.id}\n`;
  if (event.retry !== undefined) out += `retry: ${event.retry}\n`;
  for (const line of event.data.split(/\r\n|\r|\n/)) out += `data: ${line}\n`;
  return `${out}\n`;
}

/** Serialise an SSE comment, e.g. a keep-alive `: ping`. */
export function encodeSseComment(text: string): string {
  return text
    .split(/\r\n|\r|\n/)
    .map((line) => `: ${line}\n`)
    .join("");
}
