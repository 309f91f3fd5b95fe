import { describe, expect, it } from "vitest";
import { histogramOf, maxOf, parsePrometheusText, sampleKey, sumOf } from "./prometheus.ts";

const text = `# HELP vllm:num_requests_running Number of requests.
# TYPE vllm:num_requests_running gauge
vllm:num_requests_running{engine="0",model_name="m"} 2.0
vllm:num_requests_running{engine="1",model_name="m"} 1.0
vllm:kv_cache_usage_perc{engine="0",model_name="m"} 0.25
vllm:kv_cache_usage_perc{engine="1",model_name="m"} 0.5
vllm:time_to_first_token_seconds_bucket{engine="0",le="0.1"} 1
vllm:time_to_first_token_seconds_bucket{engine="0",le="+Inf"} 3
vllm:time_to_first_token_seconds_bucket{engine="1",le="0.1"} 2
vllm:time_to_first_token_seconds_bucket{engine="1",le="+Inf"} 2
vllm:time_to_first_token_seconds_sum{engine="0"} 0.9
vllm:time_to_first_token_seconds_count{engine="0"} 3
vllm:time_to_first_token_seconds_count{engine="1"} 2
weird{path="a\\"b,c}",x="\\\\"} NaN 1700000000
process_start_time_seconds 1.7e9
broken{oops 1
`;

describe("parsePrometheusText", () => {
  const samples = parsePrometheusText(text);

  it("reads names, labels (with escapes), values and skips malformed lines", () => {
    expect(samples).toHaveLength(13);
    const weird = samples.find((s) => s.name === "weird")!;
    expect(weird.labels).toEqual({ path: 'a"b,c}', x: "\\" });
    expect(weird.value).toBeNaN();
    expect(samples.find((s) => s.name === "process_start_time_seconds")!.value).toBe(1.7e9);
    expect(sampleKey(samples[0]!)).toBe('vllm:num_requests_running{engine="0",model_name="m"}');
  });

  it("sums gauges over engines, takes the fullest cache, and falls back through names", () => {
    expect(sumOf(samples, ["vllm:num_requests_running"])).toBe(3);
    expect(maxOf(samples, ["vllm:missing", "vllm:kv_cache_usage_perc"])).toBe(0.5);
    expect(sumOf(samples, ["nope"])).toBeUndefined();
  });

  it("merges histogram buckets by bound", () => {
    expect(histogramOf(samples, ["vllm:time_to_first_token_seconds"])).toEqual({
      buckets: [
        { le: 0.1, count: 3 },
        { le: Number.POSITIVE_INFINITY, count: 5 },
      ],
      sum: 0.9,
      count: 5,
    });
    expect(histogramOf(samples, ["none"])).toBeUndefined();
  });
});
