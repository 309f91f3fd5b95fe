import { ASK_BOOT_HEADER, clientFailure, clientFor, firstModel, waitReady } from "../app/http.ts";
import { resolveApiKey, resolveUrl } from "../app/target.ts";
import { progress } from "../ui/progress.ts";
import { EXIT, styles, UsageError, writeJson } from "../ui/output.ts";
import { defineCommand } from "./command.ts";
import * as shared from "./options.ts";

export interface BootReport {
  readonly app?: string;
  readonly restored?: boolean;
  readonly phases?: Record<string, number>;
}

/** GET /rouse/boot — what rouse's generated apps serve; undefined on any other server. */
export async function fetchBoot(
  rootUrl: string,
  apiKey: string | undefined,
): Promise<BootReport | undefined> {
  try {
    const response = await fetch(`${rootUrl}/rouse/boot`, {
      headers: apiKey ? { authorization: `Bearer ${apiKey}` } : {},
      signal: AbortSignal.timeout(10_000),
    });
    if (!response.ok) return undefined;
    const body = (await response.json()) as BootReport;
    return typeof body === "object" && body && "phases" in body ? body : undefined;
  } catch {
    return undefined;
  }
}

export const probeCommand = defineCommand({
  name: "probe",
  summary: "check a deployment end to end: health (waits out a cold start), models, one streamed chat",
  args: "[rouse.yaml]",
  description: `1. /health until it answers, with a live timer (a cold start is waited out);
2. /v1/models;
3. one streamed chat completion.
Prints the cold-start wait, time to first token (TTFT) and tokens/s. On rouse's own
apps it also shows whether the container was restored from a snapshot (x-rouse-boot).`,
  options: {
    ...shared.target,
    model: { type: "string", value: "NAME", description: "default: the first model the server lists" },
    "health-path": {
      type: "string",
      value: "PATH",
      description: "default /health (vLLM, SGLang, rouse apps); the rouse gateway: /readyz",
    },
    prompt: { type: "string", value: "TEXT", description: 'default: "Say hello in one short sentence."' },
    "max-tokens": { type: "string", value: "N", description: "default 64" },
    timeout: {
      type: "string",
      value: "SECONDS",
      description: "give up waiting for health after this long (default 900)",
    },
    json: shared.json('{"url", "ready", "models", "chat", "boot"}'),
  },
  async run({ values, positionals }, io) {
    const maxTokens = Number(values["max-tokens"] ?? 64);
    if (!Number.isInteger(maxTokens) || maxTokens < 1)
      throw new UsageError("--max-tokens must be a whole number ≥ 1");
    const timeoutS = Number(values.timeout ?? 900);
    if (!(timeoutS > 0)) throw new UsageError("--timeout must be a positive number of seconds");
    const { url, target } = await resolveUrl(io, {
      url: values.url,
      app: values.app,
      file: positionals[0],
      preset: values.preset,
    });
    const apiKey = resolveApiKey(
      io,
      { apiKey: values["api-key"], apiKeyEnv: values["api-key-env"] },
      target?.config,
    );
    const client = clientFor(url, apiKey, { timeoutS });
    const bar = progress(io, `waiting for ${client.rootURL}/health`);
    try {
      const ready = await waitReady(client, bar, timeoutS, values["health-path"]);
      bar.update("listing models");
      const { ids, model: first } = await firstModel(client);
      const model = values.model ?? first;
      bar.update(`streaming a chat completion from ${model}`);
      let text = "";
      let chat: {
        text: string;
        ttftMs: number;
        e2eMs: number;
        outputTokens: number;
        tokenCounts: string;
        tokensPerS: number | null;
        promptTokens: number | null;
        bootHeader: string | null;
      };
      try {
        const stream = await client.chat.completions.create(
          {
            model,
            messages: [{ role: "user", content: values.prompt ?? "Say hello in one short sentence." }],
            max_tokens: maxTokens,
            stream: true,
            stream_options: { include_usage: true },
          },
          { headers: ASK_BOOT_HEADER },
        );
        for await (const piece of stream.textStream()) text += piece;
        const t = stream.timing;
        const end = t.end ?? performance.now();
        const outputTokens = stream.usage?.completion_tokens ?? t.tokenTimes.length;
        const decodeMs = t.firstToken !== undefined ? end - t.firstToken : 0;
        chat = {
          text,
          ttftMs: (t.firstToken ?? end) - t.start,
          e2eMs: end - t.start,
          outputTokens,
          tokenCounts: stream.usage ? "usage" : "approximate",
          tokensPerS: outputTokens > 1 && decodeMs > 0 ? (outputTokens - 1) / (decodeMs / 1000) : null,
          promptTokens: stream.usage?.prompt_tokens ?? null,
          bootHeader: stream.headers["x-rouse-boot"] ?? null,
        };
      } catch (error) {
        throw clientFailure(error, `chat with ${model}`);
      }
      const boot = chat.bootHeader ? await fetchBoot(client.rootURL, apiKey) : undefined;
      bar.stop();
      if (values.json) {
        writeJson(io, { url, ready, models: ids, model, chat, boot: boot ?? null });
        return EXIT.ok;
      }
      const s = styles(io, "stdout");
      const row = (k: string, v: string) => io.stdout.write(`  ${k.padEnd(11)}${v}\n`);
      io.stdout.write(`${s.green("✓")} ${url} answers\n`);
      row(
        "ready",
        `after ${(ready.elapsedMs / 1000).toFixed(2)} s ${s.dim(`(${ready.attempts} health probe${ready.attempts === 1 ? "" : "s"}${ready.attempts > 1 ? " — a cold start was waited out" : ""})`)}`,
      );
      row("models", ids.join(", "));
      row("reply", JSON.stringify(text.length > 120 ? `${text.slice(0, 117)}...` : text));
      row("TTFT", `${chat.ttftMs.toFixed(0)} ms`);
      row(
        "tokens",
        `${chat.outputTokens}${chat.tokenCounts === "usage" ? "" : " (approximate: chunks)"} in ${(chat.e2eMs / 1000).toFixed(2)} s${chat.tokensPerS !== null ? ` · ${chat.tokensPerS.toFixed(1)} tok/s after the first` : ""}`,
      );
      if (chat.bootHeader)
        row(
          "container",
          chat.bootHeader === "restored"
            ? s.green("restored from a memory snapshot")
            : s.yellow("booted cold (no snapshot restore)"),
        );
      return EXIT.ok;
    } finally {
      bar.stop();
      await client.close();
    }
  },
});
