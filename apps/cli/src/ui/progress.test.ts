import { PassThrough } from "node:stream";
import { describe, expect, it } from "vitest";
import { memoryIo } from "../test/io.ts";
import type { Io } from "./output.ts";
import { formatElapsed, progress } from "./progress.ts";

function ttyIo(env: NodeJS.ProcessEnv) {
  const stderr = Object.assign(new PassThrough(), { isTTY: true, columns: 60 });
  const err: string[] = [];
  stderr.on("data", (d) => err.push(String(d)));
  const io: Io = { stdout: new PassThrough(), stderr, stdin: new PassThrough(), env, cwd: "/" };
  return { io, err: () => err.join("") };
}

describe("progress", () => {
  it("draws nothing off a TTY (only lines asked for with always)", () => {
    const m = memoryIo("/");
    const p = progress(m.io, "working");
    p.update("still working");
    p.log("only on a TTY");
    p.log("always", true);
    p.stop();
    expect(p.live).toBe(false);
    expect(m.err()).toBe("always\n");
  });

  it("on a TTY: a one-row status line redrawn in place, cleared at the end; colour only without NO_COLOR", () => {
    const plain = ttyIo({ NO_COLOR: "1" });
    const p = progress(
      plain.io,
      "waiting for https://example.test/health — cold start? probe 3, last: HTTP 503 and more text",
    );
    p.log("a line above it");
    p.stop("done");
    const text = plain.err();
    expect(text).toContain("\r\x1b[2K");
    expect(text).toContain("a line above it\n");
    expect(text.endsWith("\r\x1b[2Kdone\n")).toBe(true);
    expect(text).not.toMatch(/\x1b\[3\dm/);
    // Cut to the terminal's width so \r can redraw it.
    for (const row of text.split("\r\x1b[2K"))
      expect(row.replace(/\n.*/s, "").length).toBeLessThanOrEqual(60);
    const colour = ttyIo({});
    progress(colour.io, "x").stop();
    expect(colour.err()).toMatch(/\x1b\[36m/);
  });

  it("formats elapsed time", () => {
    expect(formatElapsed(1234)).toBe("1.2s");
    expect(formatElapsed(75_000)).toBe("1m15s");
  });
});
