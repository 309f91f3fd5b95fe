import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { readSse } from "./sse.ts";

const streamOf = (parts: readonly Uint8Array[]) =>
  new ReadableStream<Uint8Array>({
    start(c) {
      for (const p of parts) c.enqueue(p);
      c.close();
    },
  });

async function collect(parts: readonly Uint8Array[]): Promise<string[]> {
  const out: string[] = [];
  for await (const d of readSse(streamOf(parts))) out.push(d);
  return out;
}

/** Splits bytes at the given cut points (inside multi-byte characters too). */
function cut(bytes: Uint8Array, points: readonly number[]): Uint8Array[] {
  const at = [...new Set(points.map((p) => p % (bytes.length + 1)))].sort((a, b) => a - b);
  const out: Uint8Array[] = [];
  let from = 0;
  for (const p of at) {
    out.push(bytes.slice(from, p));
    from = p;
  }
  out.push(bytes.slice(from));
  return out;
}

const enc = new TextEncoder();

describe("readSse", () => {
  it("follows the event-stream rules", async () => {
    const text =
      "\uFEFFdata: a\n\n" + // BOM, one event
      ": a comment\ndata:b\ndata:  c\n\n" + // comment, no space, two spaces keep one
      "event: x\nid: 1\nretry: 5\ndata\n\n" + // other fields ignored; "data" alone is an empty line
      "data: crlf\r\n\r\n" +
      "data: cr\r\rdata: [DONE]\n\n" +
      "\n\n" + // blank lines without data dispatch nothing
      "data: unfinished";
    expect(await collect([enc.encode(text)])).toEqual(["a", "b\n c", "", "crlf", "cr", "[DONE]"]);
  });

  it("gives the same events however the bytes are chunked", async () => {
    const event = fc
      .array(
        fc.string({ unit: "binary", maxLength: 12 }).map((s) => s.replace(/[\r\n]/g, "")),
        {
          minLength: 1,
          maxLength: 3,
        },
      )
      .map((lines) => lines);
    const lineEnd = fc.constantFrom("\n", "\r\n", "\r");
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.tuple(event, lineEnd), { maxLength: 6 }),
        fc.array(fc.nat(), { maxLength: 12 }),
        async (events, points) => {
          const text = events
            .map(([lines, eol]) => lines.map((l) => `data: ${l}${eol}`).join("") + eol)
            .join("");
          const expected = events.map(([lines]) => lines.join("\n"));
          const bytes = enc.encode(text);
          expect(await collect([bytes])).toEqual(expected);
          expect(await collect(cut(bytes, points))).toEqual(expected);
        },
      ),
      { numRuns: 300 },
    );
  });
});
