import { describe, expect, it } from "vitest";
import { esc, histogramCdf, lineChart, stackedBars, ticks, timeline } from "./svg.ts";

describe("report charts", () => {
  it("ticks are round numbers inside the range, or covering it for value axes", () => {
    expect(ticks(0, 10)).toEqual([0, 2, 4, 6, 8, 10]);
    expect(ticks(0, 726)).toEqual([0, 200, 400, 600]);
    expect(ticks(0, 726, 5, true)).toEqual([0, 200, 400, 600, 800]);
    expect(ticks(5.1, 5.5, 4)).toEqual([5.1, 5.2, 5.3, 5.4, 5.5]);
  });

  it("every chart is a standalone SVG that escapes its text and copes with no data", () => {
    const charts = [
      histogramCdf([1, 2, 2, 3, 10], { label: "TTFT <ms>", unit: "ms", markers: { p50: 2 } }),
      lineChart(
        [
          {
            name: "tok/s",
            points: [
              [0, 1],
              [1, 3],
            ],
            className: "s1",
          },
        ],
        { label: "x", xLabel: "t", yLabel: "y" },
      ),
      timeline([{ start: 0, mid: 0.1, end: 1, failed: false, title: "#0" }], { label: "t", xLabel: "s" }),
      stackedBars(
        [{ label: "run 1", segments: [{ name: "a", ms: 5, className: "p1" }], flag: "NOT RESTORED" }],
        { label: "s", xLabel: "ms" },
      ),
    ];
    for (const svg of charts) {
      expect(svg.startsWith("<svg ")).toBe(true);
      expect(svg).not.toMatch(/NaN|undefined|Infinity/);
    }
    expect(charts[0]).toContain("TTFT &lt;ms&gt;");
    expect(histogramCdf([], { label: "x", unit: "ms" })).toContain("no data");
    expect(esc(`"<&>`)).toBe("&quot;&lt;&amp;&gt;");
  });
});
