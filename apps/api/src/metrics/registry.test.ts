import { describe, expect, it } from "vitest";
import { Registry } from "./registry.ts";

describe("Registry", () => {
  it("renders counters, gauges and cumulative histograms in the text format", () => {
    const r = new Registry();
    const c = r.counter("rouse_requests_total", "Requests.", ["route", "status"]);
    const g = r.gauge("rouse_queue_depth", "Waiting requests.");
    const h = r.histogram("rouse_ttft_seconds", "TTFT.", ["model"], [0.1, 1]);
    c.inc(["/v1/chat/completions", "200"]);
    c.inc(["/v1/chat/completions", "200"], 2);
    g.set([], 3);
    h.observe(["m"], 0.05);
    h.observe(["m"], 0.5);
    h.observe(["m"], 5);
    const text = r.render();
    expect(text).toContain('rouse_requests_total{route="/v1/chat/completions",status="200"} 3');
    expect(text).toContain("# TYPE rouse_queue_depth gauge\nrouse_queue_depth 3");
    expect(text).toContain('rouse_ttft_seconds_bucket{model="m",le="0.1"} 1');
    expect(text).toContain('rouse_ttft_seconds_bucket{model="m",le="1"} 2');
    expect(text).toContain('rouse_ttft_seconds_bucket{model="m",le="+Inf"} 3');
    expect(text).toContain('rouse_ttft_seconds_count{model="m"} 3');
    expect(text).toContain('rouse_ttft_seconds_sum{model="m"} 5.55');
  });

  it("escapes label values and refuses duplicate names and wrong label counts", () => {
    const r = new Registry();
    const c = r.counter("x_total", "X.", ["a"]);
    c.inc(['q"uo\\te\n']);
    expect(r.render()).toContain('x_total{a="q\\"uo\\\\te\\n"} 1');
    expect(() => r.counter("x_total", "again")).toThrow(/twice/);
    expect(() => c.inc(["a", "b"])).toThrow(/label values/);
  });

  it("runs collectors before rendering", () => {
    const r = new Registry();
    const g = r.gauge("up", "Up.", ["upstream"]);
    let n = 0;
    r.onCollect(() => g.set(["a"], ++n));
    expect(r.render()).toContain('up{upstream="a"} 1');
    expect(r.render()).toContain('up{upstream="a"} 2');
  });
});
