import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { createSseParser, type SseEvent } from "./sse.ts";
import { encodeSseComment, encodeSseEvent } from "./sse-encode.ts";

function parse(chunks: Uint8Array[]): SseEvent[] {
  const parser = createSseParser();
  const out: SseEvent[] = [];
  for (const chunk of chunks) out.push(...parser.push(chunk));
  out.push(...parser.end());
  return out;
}

/** Cut `bytes` at the given (unsorted, possibly repeated) offsets. */
function cut(bytes: Uint8Array, offsets: number[]): Uint8Array[] {
  const points = [...new Set(offsets.map((o) => o % (bytes.length + 1)))].sort((a, b) => a - b);
  const out: Uint8Array[] = [];
  let last = 0;
  for (const p of points) {
    out.push(bytes.subarray(last, p));
    last = p;
  }
  out.push(bytes.subarray(last));
  return out;
}

const fieldText = fc.string({ unit: "grapheme", maxLength: 12 }).map((s) => s.replace(/[\r\n\0]/g, ""));
const eventArb = fc.record({
  event: fc.option(
    fieldText.filter((s) => s !== "" && !s.startsWith(" ")),
    { nil: undefined },
  ),
  id: fc.option(
    fieldText.filter((s) => !s.startsWith(" ")),
    { nil: undefined },
  ),
  // Any Unicode, line breaks of every kind included.
  data: fc.string({
    unit: fc.oneof(
      fc.constantFrom("\n", "\r\n", "\r", "👋", "你", "é"),
      fc.string({ unit: "grapheme", minLength: 1, maxLength: 1 }),
    ),
    maxLength: 40,
  }),
});

describe("SSE parser properties", () => {
  it("encode → bytes → split anywhere → parse returns the events (line breaks become \\n)", () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(eventArb, fc.option(fieldText, { nil: undefined })), { maxLength: 8 }),
        fc.constantFrom("\n", "\r\n", "\r"),
        fc.array(fc.nat(), { maxLength: 12 }),
        (items, newline, offsets) => {
          let text = "";
          const expected: SseEvent[] = [];
          let lastId: string | undefined;
          for (const [e, comment] of items) {
            if (comment !== undefined) text += encodeSseComment(comment);
            text += encodeSseEvent(e);
            if (e.id !== undefined) lastId = e.id;
            expected.push({
              event: e.event ?? "message",
              data: e.data.replace(/\r\n|\r/g, "\n"),
              id: lastId,
            });
          }
          const wire = newline === "\n" ? text : text.replace(/\n/g, newline);
          const bytes = new TextEncoder().encode(wire);
          expect(parse(cut(bytes, offsets))).toEqual(expected);
        },
      ),
      { numRuns: 400 },
    );
  });

  it("the events never depend on where arbitrary bytes are split", () => {
    const byteArb = fc.oneof(
      fc.constantFrom(...new TextEncoder().encode("data: event:id: retry: 1\n\r:[DONE]{}")),
      fc.integer({ min: 0, max: 255 }),
    );
    fc.assert(
      fc.property(
        fc.array(byteArb, { maxLength: 300 }),
        fc.array(fc.nat(), { maxLength: 20 }),
        (raw, offsets) => {
          const bytes = new Uint8Array(raw);
          expect(parse(cut(bytes, offsets))).toEqual(parse([bytes]));
        },
      ),
      { numRuns: 500 },
    );
  });
});
