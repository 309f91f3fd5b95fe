/**
 * Behaviour every OpenAI-compatible engine must show through this client,
 * asserted on structure only (no fixed text), so one suite runs against the
 * fake engine, a real vLLM/SGLang (ROUSE_TEST_ENGINE_URL) or the rouse gateway.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createClient, type RouseClient } from "../client.ts";
import { AbortError, ApiError } from "../errors.ts";
import { collect } from "./helpers.ts";

export interface EngineTarget {
  /** Any form: with or without `/v1`. */
  baseURL: string;
  /** The model to ask for; the first of `models.list()` when absent. */
  model?: string | undefined;
  apiKey?: string | undefined;
  close?: () => Promise<void>;
}

export interface EngineSuiteOptions {
  /** Per-test timeout (real CPU engines are slow). */
  timeoutMs?: number;
  /** How long `waitUntilReady` may take before the suite starts. */
  readyDeadlineMs?: number;
}

export function describeEngineSuite(
  name: string,
  target: () => Promise<EngineTarget>,
  options: EngineSuiteOptions = {},
): void {
  const timeout = options.timeoutMs ?? 20_000;
  describe(name, () => {
    let t: EngineTarget;
    let client: RouseClient;
    let model: string;

    beforeAll(
      async () => {
        t = await target();
        client = createClient({
          baseURL: t.baseURL,
          apiKey: t.apiKey,
          retry: { baseDelayMs: 50, maxDelayMs: 1000 },
        });
        await client.waitUntilReady({ deadlineMs: options.readyDeadlineMs ?? 60_000, intervalMs: 250 });
        model = t.model ?? (await client.models.list()).data[0]!.id;
      },
      (options.readyDeadlineMs ?? 60_000) + 5_000,
    );

    afterAll(async () => {
      await client?.close();
      await t?.close?.();
    });

    const messages = [{ role: "user" as const, content: "Say hello in one short sentence." }];

    it("health() is ok", { timeout }, async () => {
      expect(await client.health()).toMatchObject({ ok: true });
    });

    it("models.list() names the model", { timeout }, async () => {
      const list = await client.models.list();
      expect(list.object).toBe("list");
      expect(list.data.map((m) => m.id)).toContain(model);
    });

    it("a chat completion has a message and consistent usage", { timeout }, async () => {
      const completion = await client.chat.completions.create({
        model,
        messages,
        max_tokens: 16,
        temperature: 0,
      });
      expect(completion.object).toBe("chat.completion");
      expect(completion.choices[0]?.message.role).toBe("assistant");
      const usage = completion.usage!;
      expect(usage.total_tokens).toBe(usage.prompt_tokens + usage.completion_tokens);
      expect(completion.timing.end).toBeGreaterThanOrEqual(completion.timing.start);
    });

    it("a streamed chat completion: chunks, text, usage and ordered timings", { timeout }, async () => {
      const stream = await client.chat.completions.create({
        model,
        messages,
        max_tokens: 16,
        temperature: 0,
        stream: true,
        stream_options: { include_usage: true },
      });
      const chunks = await collect(stream);
      expect(chunks.length).toBeGreaterThan(1);
      expect(chunks.every((c) => c.object === "chat.completion.chunk")).toBe(true);
      const text = chunks.map((c) => c.choices[0]?.delta.content ?? "").join("");
      expect(await stream.finalText()).toBe(text);
      expect(stream.usage?.completion_tokens).toBeGreaterThan(0);
      const { start, headers, firstByte, firstToken, tokenTimes, end } = stream.timing;
      expect(tokenTimes.length).toBeGreaterThan(0);
      const order = [start, headers!, firstByte!, firstToken!, ...tokenTimes, end!];
      expect(order).toEqual([...order].sort((a, b) => a - b));
    });

    it("a streamed text completion", { timeout }, async () => {
      const stream = await client.completions.create({
        model,
        prompt: "The capital of France is",
        max_tokens: 8,
        stream: true,
      });
      const pieces = await collect(stream.textStream());
      expect(await stream.finalText()).toBe(pieces.join(""));
    });

    it("abort mid-stream ends the iteration with AbortError", { timeout }, async () => {
      const controller = new AbortController();
      const stream = await client.chat.completions.create(
        { model, messages, max_tokens: 64, stream: true },
        { signal: controller.signal },
      );
      const error = await (async () => {
        for await (const _ of stream) controller.abort();
      })().catch((e: unknown) => e);
      expect(error).toBeInstanceOf(AbortError);
    });

    it("an unknown model is a 4xx ApiError with the engine's message", { timeout }, async () => {
      const error = await client.chat.completions
        .create({ model: "rouse-test/no-such-model", messages, max_tokens: 4 })
        .catch((e: unknown) => e);
      expect(error).toBeInstanceOf(ApiError);
      expect((error as ApiError).status).toBeGreaterThanOrEqual(400);
      expect((error as ApiError).status).toBeLessThan(500);
      expect((error as ApiError).error?.message).toBeTruthy();
    });
  });
}
