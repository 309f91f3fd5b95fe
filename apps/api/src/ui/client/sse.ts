// Server-sent events from a fetch() body. The page cannot use EventSource: it
// sends no Authorization header, and the key must not go in a URL (URLs are logged).
// Also shipped to the browser as its source text (see ../script.ts): one
// self-contained function, no imports.

/**
 * Yields the `data` of each event (lines joined with "\n"), per the WHATWG
 * event-stream rules: LF, CRLF or CR line ends, `:` comments, one optional space
 * after the colon, an event ends at a blank line; an unfinished event at the end
 * of the stream is dropped.
 */
export async function* readSse(body: ReadableStream<Uint8Array>): AsyncGenerator<string> {
  const reader = body.getReader();
  const decoder = new TextDecoder();
  let buffer = "";
  let data: string[] = [];
  let started = false;
  /** One line; returns an event's data when the line ends it. */
  const line = (text: string): string | undefined => {
    if (text === "") {
      const event = data.length > 0 ? data.join("\n") : undefined;
      data = [];
      return event;
    }
    if (text.startsWith(":")) return undefined;
    const colon = text.indexOf(":");
    const field = colon < 0 ? text : text.slice(0, colon);
    if (field !== "data") return undefined;
    const value = colon < 0 ? "" : text.slice(colon + 1);
    data.push(value.startsWith(" ") ? value.slice(1) : value);
    return undefined;
  };
  try {
    for (;;) {
      const { value, done } = await reader.read();
      if (done) {
        // A CR held back for a possible LF was a line end after all.
        if (buffer.endsWith("\r")) {
          const event = line(buffer.slice(0, -1));
          if (event !== undefined) yield event;
        }
        return;
      }
      buffer += decoder.decode(value, { stream: true });
      if (!started && buffer.length > 0) {
        if (buffer.charCodeAt(0) === 0xfeff) buffer = buffer.slice(1);
        started = buffer.length > 0;
      }
      let from = 0;
      for (;;) {
        let end = from;
        while (end < buffer.length && buffer[end] !== "\n" && buffer[end] !== "\r") end++;
        if (end === buffer.length) break;
        // A CR as the last character may be the first half of a CRLF: wait for more.
        if (buffer[end] === "\r" && end + 1 === buffer.length) break;
        const text = buffer.slice(from, end);
        from = end + (buffer[end] === "\r" && buffer[end + 1] === "\n" ? 2 : 1);
        const event = line(text);
        if (event !== undefined) yield event;
      }
      buffer = buffer.slice(from);
    }
  } finally {
    reader.releaseLock();
  }
}
