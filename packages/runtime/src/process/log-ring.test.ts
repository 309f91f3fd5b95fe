import { describe, expect, it } from "vitest";
import { LogRing } from "./log-ring.ts";

describe("LogRing", () => {
  it("keeps the last lines of both streams, joining chunks split mid-line", () => {
    const ring = new LogRing(3);
    ring.write("stdout", "one\ntw");
    ring.write("stderr", "err\r\n");
    ring.write("stdout", "o\nthree\nfour");
    expect(ring.tail().map((l) => `${l.stream}:${l.line}`)).toEqual([
      "stderr:err",
      "stdout:two",
      "stdout:three",
    ]);
    ring.flush();
    expect(ring.text()).toBe("two\nthree\nfour");
    expect(ring.tail(1)[0]!.line).toBe("four");
  });

  it("cuts lines that never end", () => {
    const ring = new LogRing(10, { maxLineChars: 5 });
    ring.write("stdout", "abcdefgh");
    ring.push("supervisor", "0123456789");
    expect(ring.tail().map((l) => l.line)).toEqual(["abcde…", "01234…"]);
  });
});

describe("LogRing runs", () => {
  it("keeps each line's run, so one run's lines never describe another", () => {
    const ring = new LogRing(10);
    ring.beginRun();
    ring.write("stderr", "Application shutdown complete.\nhalf a li");
    expect(ring.beginRun()).toBe(2);
    ring.write("stderr", "ne? no: run 2\n");
    expect(ring.tail(10, { run: 1 }).map((l) => l.line)).toEqual([
      "Application shutdown complete.",
      "half a li",
    ]);
    expect(ring.text(10, { run: 2 })).toBe("ne? no: run 2");
    expect(ring.tail(1, { run: 1 })[0]!.line).toBe("half a li");
    expect(ring.tail(10, { run: 3 })).toEqual([]);
    expect(ring.tail().map((l) => l.run)).toEqual([1, 1, 2]);
  });
});
