import { type Counter, type Gauge, type Histogram, Registry } from "./registry.ts";

const LATENCY_BUCKETS = [
  0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300,
];
const WAIT_BUCKETS = [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 20, 30, 60, 120, 300, 600];

/** How a request ended (the `outcome` label): a fixed set. */
export const OUTCOMES = [
  "ok",
  "client_error",
  "rate_limited",
  "overloaded",
  "upstream_error",
  "unavailable",
  "timeout",
  "client_closed",
  "shutdown",
  "server_error",
] as const;
export type Outcome = (typeof OUTCOMES)[number];

/**
 * The gateway's metric set. Label values come only from bounded sets: `route` is
 * the matched route, `upstream`/`model` are configured names (anything else is
 * `other`, no upstream is `none`), `outcome` is one of OUTCOMES.
 */
export interface GatewayMetrics {
  readonly registry: Registry;
  readonly requests: Counter;
  readonly ttft: Histogram;
  readonly duration: Histogram;
  readonly queueDepth: Gauge;
  readonly queuedBytes: Gauge;
  readonly upstreamActive: Gauge;
  readonly coldStartWait: Histogram;
  readonly coldStarts: Counter;
  readonly upstreamState: Gauge;
  readonly upstreamErrors: Counter;
  readonly upstreamRetries: Counter;
  readonly inFlight: Gauge;
  readonly bufferedBytes: Gauge;
}

export function createGatewayMetrics(registry = new Registry()): GatewayMetrics {
  return {
    registry,
    requests: registry.counter(
      "rouse_requests_total",
      "Requests handled, by route, status, outcome, upstream and model.",
      ["route", "status", "outcome", "upstream", "model"],
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
      ["route", "outcome", "upstream", "model"],
      LATENCY_BUCKETS,
    ),
    queueDepth: registry.gauge(
      "rouse_queue_depth",
      "Requests waiting in the upstream's queue now (for a free slot or a cold start).",
      ["upstream"],
    ),
    queuedBytes: registry.gauge(
      "rouse_queue_bytes",
      "Request body bytes waiting in the upstream's queue now.",
      ["upstream"],
    ),
    upstreamActive: registry.gauge(
      "rouse_upstream_requests_active",
      "Requests sent to the upstream and not finished (bounded by its maxConcurrency).",
      ["upstream"],
    ),
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
    upstreamErrors: registry.counter(
      "rouse_upstream_errors_total",
      "Upstream failures by kind: refused, reset, timeout, status_5xx, status_503, mid_stream, other.",
      ["upstream", "kind"],
    ),
    upstreamRetries: registry.counter(
      "rouse_upstream_retries_total",
      "Requests re-sent to an upstream after a failure (bounded per request by queue.maxRetries).",
      ["upstream"],
    ),
    inFlight: registry.gauge("rouse_requests_in_flight", "Requests being handled now."),
    bufferedBytes: registry.gauge(
      "rouse_buffered_request_bytes",
      "Request body bytes held in memory now (being read or queued); bounded by limits.maxBufferedBytes.",
    ),
  };
}
