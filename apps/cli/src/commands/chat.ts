import { createInterface } from "node:readline";
import { AbortError, type ChatMessageParam } from "@rouse/client";
import { clientFailure, clientFor, firstModel, waitReady } from "../app/http.ts";
import { resolveApiKey, resolveUrl } from "../app/target.ts";
import { progress } from "../ui/progress.ts";
import { EXIT, styles, UsageError } from "../ui/output.ts";
import { defineCommand } from "./command.ts";
import * as shared from "./options.ts";

export const chatCommand = defineCommand({
  name: "chat",
  summary: "interactive streamed chat with a deployment",
  args: "[rouse.yaml]",
  description: `A multi-turn chat: answers stream as they are generated. Waits out a cold start first.

  /reset        forget the conversation (keeps --system)
  /exit         leave (so do Ctrl-D, and Ctrl-C at an empty prompt)
  Ctrl-C        while an answer streams: stop that answer, keep the session

Reads lines from stdin when it is not a terminal (one message per line), so it can be
scripted: printf 'hi\\n/exit\\n' | rouse chat --url …`,
  options: {
    ...shared.target,
    model: { type: "string", value: "NAME", description: "default: the first model the server lists" },
    "health-path": { type: "string", value: "PATH", description: "default /health; the rouse gateway: /readyz" },
    system: { type: "string", value: "TEXT", description: "the system message" },
    "max-tokens": { type: "string", value: "N", description: "per answer (default: the server's)" },
    temperature: { type: "string", value: "T", description: "sampling temperature (default: the server's)" },
    timeout: { type: "string", value: "SECONDS", description: "wait this long for a cold start (default 900)" },
  },
  async run({ values, positionals }, io) {
    const maxTokens = values["max-tokens"] === undefined ? undefined : Number(values["max-tokens"]);
    if (maxTokens !== undefined && (!Number.isInteger(maxTokens) || maxTokens < 1))
      throw new UsageError("--max-tokens must be a whole number ≥ 1");
    const temperature = values.temperature === undefined ? undefined : Number(values.temperature);
    if (temperature !== undefined && !(temperature >= 0))
      throw new UsageError("--temperature must be a number ≥ 0");
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
    const client = clientFor(url, apiKey, { timeoutS: Number(values.timeout ?? 900) });
    const s = styles(io, "stdout");
    const e = styles(io);
    const interactive = Boolean(io.stdin.isTTY);

    const bar = progress(io, `connecting to ${url}`);
    let model: string;
    try {
      await waitReady(client, bar, Number(values.timeout ?? 900), values["health-path"]);
      model = values.model ?? (await firstModel(client)).model;
    } finally {
      bar.stop();
    }
    const system: ChatMessageParam[] = values.system ? [{ role: "system", content: values.system }] : [];
    let messages: ChatMessageParam[] = [...system];
    io.stderr.write(`${e.dim(`chatting with ${model} at ${url} — /reset, /exit; Ctrl-C stops an answer`)}\n`);

    const rl = createInterface({
      input: io.stdin,
      output: io.stdout,
      terminal: interactive,
      prompt: interactive ? s.cyan("› ") : "",
    });
    const queue: string[] = [];
    let closed = false;
    let wake: (() => void) | undefined;
    let answering: AbortController | undefined;
    let quit = false;
    rl.on("line", (line) => {
      queue.push(line);
      wake?.();
    });
    rl.on("close", () => {
      closed = true;
      wake?.();
    });
    const interrupt = () => {
      if (answering) answering.abort();
      else {
        quit = true;
        rl.close();
      }
    };
    // A terminal's Ctrl-C reaches readline as a keypress; a pipe's as a signal.
    rl.on("SIGINT", interrupt);
    const onSignal = () => interrupt();
    const ownsProcess = io.stdin === process.stdin;
    if (ownsProcess) process.on("SIGINT", onSignal);
    const next = async (): Promise<string | undefined> => {
      for (;;) {
        if (queue.length) return queue.shift();
        if (closed) return undefined;
        await new Promise<void>((r) => {
          wake = r;
        });
        wake = undefined;
      }
    };

    try {
      for (;;) {
        if (interactive && !quit) rl.prompt();
        const line = await next();
        if (line === undefined || quit) break;
        const text = line.trim();
        if (!text) continue;
        if (text === "/exit" || text === "/quit") break;
        if (text === "/reset") {
          messages = [...system];
          io.stderr.write(`${e.dim("(conversation reset)")}\n`);
          continue;
        }
        if (text.startsWith("/")) {
          io.stderr.write(`${e.yellow(`unknown command ${text.split(" ")[0]} — /reset or /exit`)}\n`);
          continue;
        }
        messages.push({ role: "user", content: text });
        answering = new AbortController();
        let reply = "";
        let reasoning = false;
        try {
          const stream = await client.chat.completions.create(
            {
              model,
              messages,
              stream: true,
              stream_options: { include_usage: true },
              ...(maxTokens !== undefined ? { max_tokens: maxTokens } : {}),
              ...(temperature !== undefined ? { temperature } : {}),
            },
            { signal: answering.signal },
          );
          for await (const chunk of stream) {
            const delta = chunk.choices?.[0]?.delta;
            const thought = delta?.reasoning_content ?? delta?.reasoning;
            if (thought) {
              if (!reasoning) io.stdout.write(s.dim("(thinking) "));
              reasoning = true;
              io.stdout.write(s.dim(thought));
            }
            if (delta?.content) {
              if (reasoning) io.stdout.write("\n");
              reasoning = false;
              reply += delta.content;
              io.stdout.write(delta.content);
            }
          }
          io.stdout.write("\n");
          const t = stream.timing;
          const tokens = stream.usage?.completion_tokens ?? t.tokenTimes.length;
          const ttft = t.firstToken !== undefined ? t.firstToken - t.start : undefined;
          const rate =
            t.firstToken !== undefined && t.end !== undefined && tokens > 1
              ? (tokens - 1) / ((t.end - t.firstToken) / 1000)
              : undefined;
          io.stderr.write(
            `${e.dim(`(${tokens} tokens${ttft !== undefined ? ` · TTFT ${ttft.toFixed(0)} ms` : ""}${rate ? ` · ${rate.toFixed(1)} tok/s` : ""})`)}\n`,
          );
          messages.push({ role: "assistant", content: reply });
        } catch (error) {
          if (error instanceof AbortError || answering.signal.aborted) {
            io.stdout.write("\n");
            io.stderr.write(`${e.yellow("(answer stopped)")}\n`);
            // Keep what was said, so the next turn has the context the user saw.
            if (reply) messages.push({ role: "assistant", content: reply });
            else messages.pop();
          } else {
            messages.pop();
            const failure = clientFailure(error, "chat");
            io.stderr.write(
              `${e.red(failure.message)}\n${failure.hint ? `${e.dim(`hint: ${failure.hint}`)}\n` : ""}`,
            );
          }
        } finally {
          answering = undefined;
        }
      }
    } finally {
      if (ownsProcess) process.off("SIGINT", onSignal);
      rl.close();
      await client.close();
    }
    return EXIT.ok;
  },
});
