import { Readable } from "node:stream";
import { describe, expect, it } from "vitest";
import { collect, FIXTURES, readFixture } from "./__fixtures__/helpers.ts";
import { createSseParser, createSseTransform, parseSse, type SseEvent } from "./sse.ts";

function parseAll(chunks: Array<Uint8Array | string>, comments?: string[]): SseEvent[] {
  const parser = createSseParser(comments ? { onComment: (c) => comments.push(c) } : {});
  const out: SseEvent[] = [];
  for (const chunk of chunks) out.push(...parser.push(chunk));
  out.push(...parser.end());
  return out;
}

const ev = (data: string, event = "message", id?: string): SseEvent => ({ event, data, id });

describe("createSseParser: the format", () => {
  it("dispatches on a blank line and strips one space after the colon", () => {
    expect(parseAll(["data: a\n\ndata:b\n\ndata:  c\n\n"])).toEqual([ev("a"), ev("b"), ev(" c")]);
  });

  it("joins multi-line data with \\n and keeps event names", () => {
    expect(parseAll(["event: delta\ndata: one\ndata: two\n\n"])).toEqual([ev("one\ntwo", "delta")]);
  });

  it("accepts LF, CRLF and CR line endings, mixed", () => {
    expect(parseAll(["data: a\r\n\r\ndata: b\r\rdata: c\n\n"])).toEqual([ev("a"), ev("b"), ev("c")]);
  });

  it("handles a CRLF split across chunks without inventing a blank line", () => {
    expect(parseAll(["data: a\r", "\ndata: b\r", "\n\r", "\n"])).toEqual([ev("a\nb")]);
  });

  it("reports comments and ignores them otherwise", () => {
    const comments: string[] = [];
    expect(parseAll([": keep-alive\n:raw\ndata: x\n\n"], comments)).toEqual([ev("x")]);
    expect(comments).toEqual(["keep-alive", "raw"]);
  });

  it("keeps the last id for later events and ignores ids with NUL", () => {
    expect(parseAll(["id: 1\ndata: a\n\ndata: b\n\nid: x\0y\ndata: c\n\n"])).toEqual([
      ev("a", "message", "1"),
      ev("b", "message", "1"),
      ev("c", "message", "1"),
    ]);
  });

  it("reports valid retry fields only", () => {
    const retries: number[] = [];
    const parser = createSseParser({ onRetry: (ms) => retries.push(ms) });
    parser.push("retry: 1500\nretry: soon\nretry:20\n\n");
    expect(retries).toEqual([1500, 20]);
  });

  it("treats a field without a colon as an empty value and ignores unknown fields", () => {
    expect(parseAll(["data\n\nfoo: bar\ndata: x\n\n"])).toEqual([ev(""), ev("x")]);
  });

  it("does not dispatch an event without data", () => {
    expect(parseAll(["event: ping\n\n", "id: 7\n\n"])).toEqual([]);
  });

  it("strips a leading BOM, in bytes or text", () => {
    const bom = new Uint8Array([0xef, 0xbb, 0xbf]);
    expect(parseAll([bom, "data: a\n\n"])).toEqual([ev("a")]);
    expect(parseAll(["\uFEFFdata: a\n\n"])).toEqual([ev("a")]);
  });

  it("decodes UTF-8 characters split between chunks", () => {
    const bytes = new TextEncoder().encode("data: 你好👋\n\n");
    const pieces = Array.from(bytes, (b) => new Uint8Array([b]));
    expect(parseAll(pieces)).toEqual([ev("你好👋")]);
  });

  it("delivers a final event that lacks its blank line at the end of the stream", () => {
    expect(parseAll(["data: a\n\ndata: tail"])).toEqual([ev("a"), ev("tail")]);
    expect(parseAll(["data: a\n\ndata: tail\n"])).toEqual([ev("a"), ev("tail")]);
  });

  it("recognises vLLM's [DONE] and error events as plain events", () => {
    const events = parseAll(['data: {"x":1}\n\nevent: error\ndata: {"message":"boom"}\n\ndata: [DONE]\n\n']);
    expect(events).toEqual([ev('{"x":1}'), ev('{"message":"boom"}', "error"), ev("[DONE]")]);
  });
});

describe("recorded streams split at every offset", () => {
  for (const name of FIXTURES) {
    const bytes = readFixture(name);
    const whole = parseAll([bytes]);

    it(`${name}: parses into JSON chunks ending in [DONE]`, () => {
      expect(whole.length).toBeGreaterThan(10);
      expect(whole.at(-1)).toEqual(ev("[DONE]"));
      for (const event of whole.slice(0, -1)) expect(() => JSON.parse(event.data)).not.toThrow();
    });

    it(`${name}: every two-piece split gives the same events (${bytes.length + 1} splits)`, () => {
      for (let offset = 0; offset <= bytes.length; offset++) {
        const events = parseAll([bytes.subarray(0, offset), bytes.subarray(offset)]);
        if (JSON.stringify(events) !== JSON.stringify(whole)) {
          expect.fail(`split at byte ${offset} changed the events`);
        }
      }
    });

    it(`${name}: one byte at a time gives the same events`, () => {
      expect(parseAll(Array.from(bytes, (b) => new Uint8Array([b])))).toEqual(whole);
    });

    it(`${name}: every three-piece split around each multi-byte character gives the same events`, () => {
      // Splits inside each UTF-8 sequence and inside each "\n\n", paired with a second split further on.
      const hot: number[] = [];
      for (let i = 1; i < bytes.length; i++) {
        const b = bytes[i]!;
        if ((b & 0xc0) === 0x80 || (bytes[i - 1] === 0x0a && b === 0x0a)) hot.push(i);
      }
      expect(hot.length).toBeGreaterThan(0);
      for (const a of hot) {
        for (const b of [a + 1, a + 7, a + 64]) {
          if (b >= bytes.length) continue;
          const events = parseAll([bytes.subarray(0, a), bytes.subarray(a, b), bytes.subarray(b)]);
          if (JSON.stringify(events) !== JSON.stringify(whole))
            expect.fail(`splits at ${a} and ${b} changed the events`);
        }
      }
    });
  }
});

describe("parseSse and createSseTransform", () => {
  const bytes = readFixture("vllm-chat-reasoning");
  const whole = parseAll([bytes]);

  it("parseSse reads a Node readable", async () => {
    const pieces = [bytes.subarray(0, 101), bytes.subarray(101, 3001), bytes.subarray(3001)];
    expect(await collect(parseSse(Readable.from(pieces)))).toEqual(whole);
  });

  it("parseSse reads a web ReadableStream", async () => {
    const stream = new ReadableStream<Uint8Array>({
      start(controller) {
        for (let i = 0; i < bytes.length; i += 333) controller.enqueue(bytes.subarray(i, i + 333));
        controller.close();
      },
    });
    expect(await collect(parseSse(stream))).toEqual(whole);
  });

  it("createSseTransform works in a pipeThrough", async () => {
    const stream = new ReadableStream<Uint8Array>({
      start(controller) {
        for (let i = 0; i < bytes.length; i += 17) controller.enqueue(bytes.subarray(i, i + 17));
        controller.close();
      },
    });
    expect(await collect(stream.pipeThrough(createSseTransform()))).toEqual(whole);
  });
});
