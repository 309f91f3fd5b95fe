/**
 * A streaming parser for Server-Sent Events (the WHATWG `text/event-stream`
 * format): feed it bytes as they come, in chunks split anywhere — mid-line,
 * mid-CRLF, mid-UTF-8 character — and it returns the events completed so far.
 *
 * The one deliberate difference from the spec: at the end of the stream an
 * event that has `data` but lacks its closing blank line is still delivered
 * (some proxies drop the last blank line); the spec would discard it.
 */

export interface SseEvent {
  /** The `event:` field, `"message"` when absent. */
  event: string;
  /** The `data:` lines joined with `\n`. */
  data: string;
  /** The last `id:` seen in the stream so far, if any. */
  id: string | undefined;
}

export interface SseParserOptions {
  /** Called with each comment line (`: keep-alive`), without the colon and one leading space. */
  onComment?: (text: string) => void;
  /** Called with the reconnection time of a valid `retry:` field. */
  onRetry?: (ms: number) => void;
}

export interface SseParser {
  /** Feed the next piece of the stream; returns the events it completed. */
  push(chunk: Uint8Array | string): SseEvent[];
  /** Signal the end of the stream; returns any event left pending. */
  end(): SseEvent[];
}

const LINE_BREAK = /[\r\n]/g;

export function createSseParser(options: SseParserOptions = {}): SseParser {
  const decoder = new TextDecoder("utf-8");
  let buffer = "";
  let scanFrom = 0;
  let first = true;
  // A chunk ended with "\r": drop a "\n" that starts the next one (CRLF split in two).
  let skipLeadingLf = false;
  let eventType = "";
  let dataLines: string[] = [];
  let lastEventId: string | undefined;

  function dispatch(out: SseEvent[]): void {
    if (dataLines.length > 0) {
      out.push({
        event: eventType === "" ? "message" : eventType,
        data: dataLines.join("\n"),
        id: lastEventId,
      });
    }
    eventType = "";
    dataLines = [];
  }

  function processLine(line: string, out: SseEvent[]): void {
    if (line === "") {
      dispatch(out);
      return;
    }
    const colon = line.indexOf(":");
    if (colon === 0) {
      options.onComment?.(line.startsWith(": ") ? line.slice(2) : line.slice(1));
      return;
    }
    const field = colon === -1 ? line : line.slice(0, colon);
    let value = colon === -1 ? "" : line.slice(colon + 1);
    if (value.startsWith(" ")) value = value.slice(1);
    switch (field) {
      case "event":
        eventType = value;
        break;
      case "data":
        dataLines.push(value);
        break;
      case "id":
        if (!value.includes("\0")) lastEventId = value;
        break;
      case "retry":
        if (/^\d+$/.test(value)) options.onRetry?.(Number(value));
        break;
      default:
      // Unknown fields are ignored, as the spec says.
    }
  }

  function consume(text: string, out: SseEvent[]): void {
    if (first) {
      first = false;
      if (text.startsWith("\uFEFF")) text = text.slice(1);
    }
    if (skipLeadingLf && text.length > 0) {
      skipLeadingLf = false;
      if (text.startsWith("\n")) text = text.slice(1);
    }
    buffer += text;
    let start = 0;
    LINE_BREAK.lastIndex = scanFrom;
    for (let m = LINE_BREAK.exec(buffer); m !== null; m = LINE_BREAK.exec(buffer)) {
      const at = m.index;
      let next = at + 1;
      if (buffer[at] === "\r") {
        if (at + 1 === buffer.length) skipLeadingLf = true;
        else if (buffer[at + 1] === "\n") next = at + 2;
      }
      processLine(buffer.slice(start, at), out);
      start = next;
      LINE_BREAK.lastIndex = next;
    }
    buffer = buffer.slice(start);
    scanFrom = buffer.length;
  }

  return {
    push(chunk) {
      const out: SseEvent[] = [];
      const text = typeof chunk === "string" ? chunk : decoder.decode(chunk, { stream: true });
      if (text !== "") consume(text, out);
      return out;
    },
    end() {
      const out: SseEvent[] = [];
      const rest = decoder.decode();
      if (rest !== "") consume(rest, out);
      if (buffer !== "") processLine(buffer, out);
      buffer = "";
      scanFrom = 0;
      dispatch(out);
      return out;
    },
  };
}

/** Parse a byte (or text) stream — a Node readable, a web `ReadableStream`, any async iterable — into SSE events. */
export async function* parseSse(
  source: AsyncIterable<Uint8Array | string>,
  options: SseParserOptions = {},
): AsyncGenerator<SseEvent, void, undefined> {
  const parser = createSseParser(options);
  for await (const chunk of source) yield* parser.push(chunk);
  yield* parser.end();
}

/** The same parser as a web `TransformStream`, for `body.pipeThrough(createSseTransform())`. */
export function createSseTransform(
  options: SseParserOptions = {},
): TransformStream<Uint8Array | string, SseEvent> {
  const parser = createSseParser(options);
  return new TransformStream({
    transform(chunk, controller) {
      for (const event of parser.push(chunk)) controller.enqueue(event);
    },
    flush(controller) {
      for (const event of parser.end()) controller.enqueue(event);
    },
  });
}
