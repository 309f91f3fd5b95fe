import { describe, expect, it } from "vitest";
import { Registry } from "./registry.ts";

describe("Registry (prom-client)", () => {
  it("renders counters, gauges and cumulative histograms in the text format, with process metrics", async () => {
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
    const text = await r.render();
    expect(text).toContain('rouse_requests_total{route="/v1/chat/completions",status="200"} 3');
    expect(text).toContain("# TYPE rouse_queue_depth gauge\nrouse_queue_depth 3");
    expect(text).toContain('rouse_ttft_seconds_bucket{le="0.1",model="m"} 1');
    expect(text).toContain('rouse_ttft_seconds_bucket{le="1",model="m"} 2');
    expect(text).toContain('rouse_ttft_seconds_bucket{le="+Inf",model="m"} 3');
    expect(text).toContain('rouse_ttft_seconds_count{model="m"} 3');
    expect(text).toContain('rouse_ttft_seconds_sum{model="m"} 5.55');
    expect(text).toContain("process_cpu_seconds_total");
    expect(text).toContain("nodejs_heap_size_used_bytes");
  });

  it("escapes label values and refuses duplicate names and wrong label counts", async () => {
    const r = new Registry({ processMetrics: false });
    const c = r.counter("x_total", "X.", ["a"]);
    c.inc(['q"uo\\te\n']);
    expect(await r.render()).toContain('x_total{a="q\\"uo\\\\te\\n"} 1');
    expect(() => r.counter("x_total", "again")).toThrow(/already been registered/);
    expect(() => c.inc(["a", "b"])).toThrow(/label values/);
  });

  it("runs collectors before rendering", async () => {
    const r = new Registry({ processMetrics: false });
    const g = r.gauge("up", "Up.", ["upstream"]);
    let n = 0;
    r.onCollect(() => g.set(["a"], ++n));
    expect(await r.render()).toContain('up{upstream="a"} 1');
    expect(await r.render()).toContain('up{upstream="a"} 2');
  });
});
