import { type Counter, type Gauge, type Histogram, Registry } from "./registry.ts";

const LATENCY_BUCKETS = [
  0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300,
];
const WAIT_BUCKETS = [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 20, 30, 60, 120, 300, 600];

/** The gateway's metric set. Label values: route is the matched route, never the raw path. */
export interface GatewayMetrics {
  readonly registry: Registry;
  readonly requests: Counter;
  readonly ttft: Histogram;
  readonly duration: Histogram;
  readonly queueDepth: Gauge;
  readonly coldStartWait: Histogram;
  readonly coldStarts: Counter;
  readonly upstreamState: Gauge;
  readonly inFlight: Gauge;
}

export function createGatewayMetrics(registry = new Registry()): GatewayMetrics {
  return {
    registry,
    requests: registry.counter(
      "rouse_requests_total",
      "Requests handled, by route, status, upstream and model.",
      ["route", "status", "upstream", "model"],
    ),
    ttft: registry.histogram(
      "rouse_ttft_seconds",
      "Time from request arrival to the first response byte sent to the client (includes queueing).",
      ["route", "upstream", "model"],
      LATENCY_BUCKETS,
    ),
    duration: registry.histogram(
      "rouse_request_duration_seconds",
      "Time from request arrival to the end of the response.",
      ["route", "upstream", "model"],
      LATENCY_BUCKETS,
    ),
    queueDepth: registry.gauge("rouse_queue_depth", "Requests waiting for a cold upstream now."),
    coldStartWait: registry.histogram(
      "rouse_cold_start_wait_seconds",
      "Time requests waited for a warming upstream (only requests that paid a cold start).",
      ["upstream", "model"],
      WAIT_BUCKETS,
    ),
    coldStarts: registry.counter("rouse_cold_start_requests_total", "Requests that paid a cold start.", [
      "upstream",
      "model",
    ]),
    upstreamState: registry.gauge("rouse_upstream_state", "1 for the upstream's current state.", [
      "upstream",
      "state",
    ]),
    inFlight: registry.gauge("rouse_requests_in_flight", "Requests being handled now."),
  };
}
