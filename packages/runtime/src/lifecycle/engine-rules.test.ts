import { parseDeployment } from "@rouse/config";
import type { EnginePluginV1 } from "@rouse/engine-spec";
import { sglang } from "@rouse/engine-sglang";
import { vllm } from "@rouse/engine-vllm";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { type CanaryAnswer, compareCanary, readCanary } from "./canary.ts";
import { EngineCallRefusedError, EngineGate } from "./engine-gate.ts";
import { engineRules } from "./engine-rules.ts";

const config = (kind: "vllm" | "sglang") =>
  parseDeployment({
    version: 1,
    name: "x",
    model: { id: "org/m", servedName: ["m"] },
    engine: { kind },
    local: { scaleToZero: "sleep" },
  });

describe("engine rules", () => {
  it("vLLM: /health and /is_sleeping while asleep; nothing while checkpointed; the plugin's canary", () => {
    const rules = engineRules(vllm, config("vllm"));
    expect(rules.safeWhile.asleep).toEqual(expect.arrayContaining(["/health", "/is_sleeping", "/wake_up"]));
    expect(rules.safeWhile.checkpointed).toEqual([]);
    expect(rules.afterWake).toEqual([]); // level 1 keeps the weights
    expect(rules.canary!.request.json).toMatchObject({ model: "m", temperature: 0, max_tokens: 16, logprobs: 1 });
  });

  it("vLLM level 2: after a wake, reload the weights, then reset the prefix cache", () => {
    const level2 = parseDeployment({
      version: 1,
      name: "x",
      model: { id: "org/m", servedName: ["m"] },
      engine: { kind: "vllm" },
      local: { scaleToZero: "sleep" },
      snapshot: { sleepLevel: 2 },
    });
    expect(engineRules(vllm, level2).afterWake.map((c) => c.path)).toEqual(["/collective_rpc", "/reset_prefix_cache"]);
  });

  it("SGLang: only the resume call while released (its /health runs a generation)", () => {
    const rules = engineRules(sglang, config("sglang"));
    expect(rules.safeWhile.asleep).toEqual(["/resume_memory_occupation"]);
  });

  it("reads the plugin's spec, and always allows the wake call and its confirmation while asleep", () => {
    const plugin: EnginePluginV1 = {
      ...vllm,
      lifecycle: (c) => {
        const { canary: _none, ...spec } = vllm.lifecycle(c);
        return { ...spec, safeWhile: { asleep: ["/is_sleeping"], checkpointed: [] } };
      },
    };
    const rules = engineRules(plugin, config("vllm"));
    expect(rules.canary).toBeUndefined();
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
  const spec = vllm.lifecycle(config("vllm")).canary!;
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
