import { type EnginePluginV1, parseDeployment } from "@rouse/config";
import { sglang } from "@rouse/engine-sglang";
import { vllm } from "@rouse/engine-vllm";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { type CanaryAnswer, compareCanary, readCanary } from "./canary.ts";
import { EngineCallRefusedError, EngineGate } from "./engine-gate.ts";
import { completionsCanary, engineRules } from "./engine-rules.ts";

const config = (kind: "vllm" | "sglang") =>
  parseDeployment({
    version: 1,
    name: "x",
    model: { id: "org/m", servedName: ["m"] },
    engine: { kind },
    local: { scaleToZero: "sleep" },
  });

describe("engine rules", () => {
  it("vLLM: /health and /is_sleeping while asleep; after a level-2 wake, reload then reset; nothing while checkpointed", () => {
    const rules = engineRules(vllm, config("vllm"));
    expect(rules.safeWhile.asleep).toEqual(expect.arrayContaining(["/health", "/is_sleeping", "/wake_up"]));
    expect(rules.safeWhile.checkpointed).toEqual([]);
    expect(rules.afterWake.map((s) => [s.levels, s.call.path])).toEqual([
      [[2], "/collective_rpc"],
      [[2], "/reset_prefix_cache"],
    ]);
    expect(rules.canary!.request.json).toMatchObject({
      model: "m",
      temperature: 0,
      max_tokens: 16,
      logprobs: 1,
    });
  });

  it("SGLang: only the resume call while released (its /health runs a generation)", () => {
    const rules = engineRules(sglang, config("sglang"));
    expect(rules.safeWhile.asleep).toEqual(["/resume_memory_occupation"]);
  });

  it("a plugin spec that states its own rules wins over the defaults", () => {
    // fields a newer spec carries (canary, afterWake) ride along untyped
    const plugin: EnginePluginV1 = {
      ...vllm,
      lifecycle: (c) => ({
        ...vllm.lifecycle(c),
        ...({ canary: null, afterWake: [] } as object),
        safeWhile: { asleep: ["/is_sleeping"], checkpointed: [] },
      }),
    };
    const rules = engineRules(plugin, config("vllm"));
    expect(rules.canary).toBeUndefined();
    const plain = { method: "POST" as const, path: "/collective_rpc", json: { method: "reload_weights" } };
    const withCalls: EnginePluginV1 = {
      ...plugin,
      lifecycle: (c) => ({ ...plugin.lifecycle(c), ...({ afterWake: [plain] } as object) }),
    };
    // plain calls (the spec's own form): the plugin chose them for the config's level
    expect(engineRules(withCalls, config("vllm")).afterWake).toEqual([
      { levels: [1, 2], call: plain, why: "the engine plugin's after-wake step" },
    ]);
    expect(rules.afterWake).toEqual([]);
    // the wake call and its confirmation stay allowed: waking needs them
    expect(rules.safeWhile.asleep).toEqual(["/is_sleeping", "/wake_up"]);
  });
});

describe("EngineGate", () => {
  it("refuses what is not safe in the phase, without sending it", async () => {
    const gate = new EngineGate("s", { asleep: ["/resume_memory_occupation"], checkpointed: [] });
    let sent = 0;
    const fetchFn = gate.fetch(async () => {
      sent++;
      return new Response("ok");
    });
    await fetchFn("http://127.0.0.1:1/health");
    gate.phase = "asleep";
    await expect(fetchFn("http://127.0.0.1:1/health")).rejects.toBeInstanceOf(EngineCallRefusedError);
    await expect(fetchFn(new URL("http://127.0.0.1:1/v1/completions"))).rejects.toThrow(
      "engine 's' is asleep: the runtime does not send /v1/completions to it",
    );
    await fetchFn("http://127.0.0.1:1/resume_memory_occupation");
    gate.phase = "checkpointed";
    await expect(fetchFn("http://127.0.0.1:1/resume_memory_occupation")).rejects.toThrow(/checkpointed/);
    expect(sent).toBe(2);
    expect(gate.refused).toBe(3);
    expect(gate.sent).toEqual({ open: 1, asleep: 1, checkpointed: 0 });
  });
});

describe("canary", () => {
  const spec = completionsCanary(config("vllm"));
  const answer = fc
    .record({
      tokens: fc.array(fc.string(), { minLength: 1, maxLength: 20 }),
      logprobs: fc.array(fc.double({ min: -30, max: 0, noNaN: true }), { minLength: 20, maxLength: 20 }),
    })
    .map((a) => ({ tokens: a.tokens, logprobs: a.logprobs.slice(0, a.tokens.length) }));

  it("an answer matches itself; any changed token or a logprob moved past the tolerance does not", () => {
    fc.assert(
      fc.property(
        answer,
        fc.nat(),
        fc.double({ min: 0.021, max: 10, noNaN: true }),
        (a: CanaryAnswer, at, shift) => {
          expect(compareCanary(spec, a, a).ok).toBe(true);
          const i = at % a.tokens.length;
          const tokens = [...a.tokens];
          tokens[i] = `${tokens[i]}x`;
          expect(compareCanary(spec, a, { ...a, tokens }).ok).toBe(false);
          const logprobs = [...a.logprobs];
          logprobs[i] = logprobs[i]! - shift;
          expect(compareCanary(spec, a, { ...a, logprobs }).ok).toBe(false);
          expect(
            compareCanary(spec, a, { tokens: a.tokens.slice(0, -1), logprobs: a.logprobs.slice(0, -1) }).ok,
          ).toBe(a.tokens.length === 0);
        },
      ),
    );
  });

  it("reads OpenAI completions logprobs, and says what is missing", () => {
    const body = { choices: [{ logprobs: { tokens: ["a", "b"], token_logprobs: [null, -0.5] } }] };
    expect(readCanary(spec, body)).toEqual({ tokens: ["a", "b"], logprobs: [0, -0.5] });
    expect(() => readCanary(spec, { choices: [{ text: "ab" }] })).toThrow(
      "the canary answer has no tokens at choices.0.logprobs.tokens",
    );
    expect(() =>
      readCanary(spec, { choices: [{ logprobs: { tokens: ["a"], token_logprobs: [] } }] }),
    ).toThrow(/no logprob per token/);
  });
});
