import { type EngineLifecycleClientV1, EngineLifecycleError, type EngineMetricsV1, EngineUnsupportedError, type HttpCallV1, type LifecycleClientOptionsV1, type LifecycleSpecV1, lifecycleSpecV1Schema } from "@rouse/engine-spec";
import {
  describeCall,
  type EngineHttpOptions,
  type EngineResponse,
  expectOk,
  fieldOf,
  jsonBody,
  sendEngineCall,
} from "./http.ts";
import { histogramOf, maxOf, type MetricNames, parsePrometheusText, sampleKey, sumOf } from "./prometheus.ts";
import { waitUntilReady } from "./wait-ready.ts";

// A lifecycle client that runs exactly the calls a plugin's LifecycleSpecV1
// describes — the same data codegen turns into Python — so the TypeScript
// client and the emitted app cannot drift apart. Engines differ only in the
// settings below.

export interface SpecClientSettings {
  /** Named in every error. */
  readonly engine: string;
  readonly spec: LifecycleSpecV1;
  readonly options: LifecycleClientOptionsV1;
  readonly metricNames: MetricNames;
  /** Why sleep cannot work for this config, or undefined when it can. */
  readonly sleepUnsupported?: string;
  /** The sleep call for a level a caller asked for (vLLM puts it in the query); without one: the spec's call. */
  readonly sleepCall?: (call: HttpCallV1, level: 1 | 2) => HttpCallV1;
  /**
   * Recognises an engine answer meaning "sleep mode is off" (e.g. 404 without vLLM's
   * dev mode) and returns why, so it becomes an EngineUnsupportedError.
   */
  readonly sleepRefusal?: (response: EngineResponse, call: HttpCallV1) => string | undefined;
}

const CONFIRM_INTERVAL_MS = 100;

export function createSpecLifecycleClient(settings: SpecClientSettings): EngineLifecycleClientV1 {
  const { engine, options, metricNames } = settings;
  const spec = lifecycleSpecV1Schema.parse(settings.spec);
  const http: EngineHttpOptions = {
    baseUrl: options.baseUrl,
    ...(options.apiKey ? { apiKey: options.apiKey } : {}),
    ...(options.fetch ? { fetch: options.fetch } : {}),
  };
  // Engines without an "is sleeping" endpoint (SGLang) answer from what we last did.
  let sleepingByUs = false;

  const timeoutFor = (call: HttpCallV1, override?: number) =>
    override ?? options.timeoutMs ?? (call.timeoutSeconds ?? 30) * 1000;
  const send = (call: HttpCallV1, timeoutMs?: number) =>
    sendEngineCall(engine, call, { ...http, timeoutMs: timeoutFor(call, timeoutMs) });

  async function confirm(
    what: "sleep" | "wake",
    confirmation: NonNullable<NonNullable<LifecycleSpecV1["sleep"]>["confirm"]>,
    timeoutMs: number,
  ): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    let seen: unknown;
    for (;;) {
      const response = expectOk(
        engine,
        confirmation.call,
        await send(confirmation.call),
        `confirming ${what}`,
      );
      seen = fieldOf(jsonBody(engine, confirmation.call, response), confirmation.field);
      if (seen === confirmation.equals) return;
      if (Date.now() >= deadline) break;
      await new Promise((r) =>
        setTimeout(r, Math.min(CONFIRM_INTERVAL_MS, Math.max(0, deadline - Date.now()))),
      );
    }
    throw new EngineLifecycleError(
      engine,
      describeCall(confirmation.call),
      `${what} not confirmed within ${timeoutMs} ms: ${confirmation.field} is ${JSON.stringify(seen)}, expected ${JSON.stringify(confirmation.equals)}`,
    );
  }

  function unsupported(call: HttpCallV1 | undefined, why: string): never {
    throw new EngineUnsupportedError(engine, call ? describeCall(call) : "sleep", why);
  }

  async function stateChange(
    what: "sleep" | "wake",
    step: NonNullable<LifecycleSpecV1["sleep"]>,
    call: HttpCallV1,
    timeoutMs: number | undefined,
  ): Promise<void> {
    const started = Date.now();
    const total = timeoutFor(call, timeoutMs);
    const response = await send(call, total);
    const refusal = settings.sleepRefusal?.(response, call);
    if (refusal) unsupported(call, refusal);
    expectOk(engine, call, response, what);
    // The answer may come before the engine finished (vLLM), so poll until it says so.
    if (step.confirm)
      await confirm(what, step.confirm, Math.max(total - (Date.now() - started), CONFIRM_INTERVAL_MS));
  }

  return {
    engine,

    waitReady: (wait) => waitUntilReady(engine, spec.readiness.probe, http, wait),

    async warmup(warm) {
      const count = warm?.count ?? spec.warmupCount;
      for (let i = 0; i < count; i++) {
        expectOk(engine, spec.warmup, await send(spec.warmup), `warmup request ${i + 1} of ${count}`);
      }
    },

    async sleep(request) {
      if (settings.sleepUnsupported) unsupported(spec.sleep?.call, settings.sleepUnsupported);
      if (!spec.sleep) unsupported(undefined, "this configuration of the engine has no sleep mode");
      // No level asked: the spec's call as configured (a level-2 config sleeps at level 2,
      // and its afterWake reloads what level 2 dropped).
      const call =
        request?.level !== undefined && settings.sleepCall
          ? settings.sleepCall(spec.sleep.call, request.level)
          : spec.sleep.call;
      await stateChange("sleep", spec.sleep, call, request?.timeoutMs);
      sleepingByUs = true;
    },

    async wakeUp(request) {
      if (settings.sleepUnsupported) unsupported(spec.wake?.call, settings.sleepUnsupported);
      if (!spec.wake)
        unsupported(undefined, "this configuration of the engine has no sleep mode, so nothing to wake");
      await stateChange("wake", spec.wake, spec.wake.call, request?.timeoutMs);
      // Calls the wake alone does not make (vLLM level 2: reload weights, reset the prefix
      // cache), in order, before the engine is fit to serve.
      for (const [i, call] of spec.afterWake.entries()) {
        expectOk(engine, call, await send(call), `after-wake call ${i + 1} of ${spec.afterWake.length}`);
      }
      sleepingByUs = false;
    },

    async isSleeping() {
      const confirmation = spec.sleep?.confirm;
      if (!confirmation) return sleepingByUs;
      const response = expectOk(
        engine,
        confirmation.call,
        await send(confirmation.call),
        "reading the sleep state",
      );
      const value = fieldOf(jsonBody(engine, confirmation.call, response), confirmation.field);
      if (typeof value !== "boolean") {
        throw new EngineLifecycleError(
          engine,
          describeCall(confirmation.call),
          `expected a boolean ${confirmation.field}`,
          {
            status: response.status,
            body: response.body,
          },
        );
      }
      return value;
    },

    async health() {
      try {
        return (await send(spec.health)).ok;
      } catch (error) {
        if (error instanceof EngineLifecycleError) return false;
        throw error;
      }
    },

    async metrics(): Promise<EngineMetricsV1> {
      if (!spec.metricsPath)
        throw new EngineUnsupportedError(engine, "metrics", "this configuration exposes no metrics endpoint");
      const call: HttpCallV1 = { method: "GET", path: spec.metricsPath };
      const response = expectOk(engine, call, await send(call), "reading metrics");
      const samples = parsePrometheusText(response.body);
      const byKey: Record<string, number> = {};
      for (const s of samples) byKey[sampleKey(s)] = s.value;
      return {
        runningRequests: sumOf(samples, metricNames.runningRequests),
        waitingRequests: sumOf(samples, metricNames.waitingRequests),
        kvCacheUsage: maxOf(samples, metricNames.kvCacheUsage),
        timeToFirstToken: histogramOf(samples, metricNames.timeToFirstToken),
        samples: byKey,
      };
    },
  };
}
