/// <reference lib="dom" />
import type { FleetSnapshot } from "../fleet.ts";
import type { renderMarkdown } from "./dom-markdown.ts";
import type { fleetCard } from "./fleet-card.ts";
import type { parseMarkdown } from "./markdown.ts";
import type { readSse } from "./sse.ts";

// The playground's browser code. Shipped as its own source text (see ../script.ts):
// one self-contained function that gets its helpers as an argument — the imports
// above are types only. Model output and fleet data reach the DOM only through
// textContent / createTextNode; the API key lives in sessionStorage and in the
// Authorization header, never in a URL, the DOM or the console.

export interface PlaygroundLib {
  readonly parseMarkdown: typeof parseMarkdown;
  readonly renderMarkdown: typeof renderMarkdown;
  readonly readSse: typeof readSse;
  readonly fleetCard: typeof fleetCard;
}

export function playground(lib: PlaygroundLib): void {
  const KEY_STORAGE = "rouse.apiKey";
  const byId = <T extends HTMLElement>(id: string): T => document.getElementById(id) as T;
  const el = <K extends keyof HTMLElementTagNameMap>(tag: K, cls?: string, text?: string) => {
    const e = document.createElement(tag);
    if (cls) e.className = cls;
    if (text !== undefined) e.textContent = text;
    return e;
  };
  const keyInput = byId<HTMLInputElement>("key");
  const authStatus = byId<HTMLElement>("auth-status");
  const modelSelect = byId<HTMLSelectElement>("model");
  const systemInput = byId<HTMLTextAreaElement>("system");
  const temperatureInput = byId<HTMLInputElement>("temperature");
  const maxTokensInput = byId<HTMLInputElement>("max-tokens");
  const messages = byId<HTMLElement>("messages");
  const promptInput = byId<HTMLTextAreaElement>("prompt");
  const sendButton = byId<HTMLButtonElement>("send");
  const stopButton = byId<HTMLButtonElement>("stop");
  const fleetStatus = byId<HTMLElement>("fleet-status");
  const fleetGateway = byId<HTMLElement>("fleet-gateway");
  const fleetList = byId<HTMLElement>("fleet-list");

  let apiKey = sessionStorage.getItem(KEY_STORAGE) ?? "";
  keyInput.value = apiKey;

  const authHeaders = (extra: Record<string, string> = {}): Record<string, string> =>
    apiKey ? { ...extra, authorization: `Bearer ${apiKey}` } : extra;

  async function errorText(res: Response): Promise<string> {
    try {
      const body = (await res.json()) as { error?: { message?: string } };
      return `${res.status}: ${body.error?.message ?? res.statusText}`;
    } catch {
      return `${res.status} ${res.statusText}`;
    }
  }

  function setAuthStatus(text: string, bad: boolean): void {
    authStatus.textContent = text;
    authStatus.classList.toggle("bad", bad);
  }

  // ---- models ----------------------------------------------------------------------
  async function loadModels(): Promise<void> {
    try {
      const res = await fetch("/v1/models", { headers: authHeaders() });
      if (!res.ok) {
        modelSelect.replaceChildren(); // another key's models are not this one's
        setAuthStatus(await errorText(res), true);
        return;
      }
      const list = (await res.json()) as { data: { id: string }[] };
      const previous = modelSelect.value;
      modelSelect.replaceChildren(
        ...list.data.map((m) => {
          const o = el("option", "", m.id);
          o.value = m.id;
          return o;
        }),
      );
      if (list.data.some((m) => m.id === previous)) modelSelect.value = previous;
      setAuthStatus(
        `${apiKey ? "key in use (this tab only)" : "no key"} · ${list.data.length} model(s)`,
        false,
      );
    } catch (error) {
      setAuthStatus(`cannot reach the gateway: ${(error as Error).message}`, true);
    }
  }

  // ---- chat ------------------------------------------------------------------------
  type Turn = { role: "user" | "assistant"; content: string };
  let turns: Turn[] = [];
  let running: AbortController | undefined;

  function addMessage(role: Turn["role"]): { root: HTMLElement; body: HTMLElement; stats: HTMLElement } {
    const root = el("div", `msg ${role}`);
    root.appendChild(el("div", "role", role === "user" ? "you" : "assistant"));
    const body = el("div", "body");
    const stats = el("div", "stats");
    root.append(body, stats);
    messages.appendChild(root);
    messages.scrollTop = messages.scrollHeight;
    return { root, body, stats };
  }

  function setRunning(on: boolean): void {
    sendButton.disabled = on;
    stopButton.disabled = !on;
  }

  const numberOr = (input: HTMLInputElement, fallback: number) => {
    const n = Number(input.value);
    return input.value.trim() !== "" && Number.isFinite(n) ? n : fallback;
  };

  async function send(): Promise<void> {
    const text = promptInput.value.trim();
    const model = modelSelect.value;
    if (!text || running) return;
    if (!model) {
      setAuthStatus("no model to talk to: enter a key, or add an upstream", true);
      return;
    }
    promptInput.value = "";
    turns.push({ role: "user", content: text });
    addMessage("user").body.textContent = text;
    const answer = addMessage("assistant");
    answer.root.dataset.state = "streaming";
    const system = systemInput.value.trim();
    const request = {
      model,
      messages: [...(system ? [{ role: "system", content: system }] : []), ...turns],
      stream: true,
      stream_options: { include_usage: true },
      temperature: numberOr(temperatureInput, 0.7),
      max_tokens: Math.round(numberOr(maxTokensInput, 512)),
    };
    const controller = new AbortController();
    running = controller;
    setRunning(true);
    const started = performance.now();
    let first: number | undefined;
    let chunks = 0;
    let usageTokens: number | undefined;
    let content = "";
    let state = "streaming";
    let error = "";
    let cold = false;
    let waitMs = 0;
    let upstream = "";
    let frame = 0;
    const paint = () => {
      frame = 0;
      lib.renderMarkdown(answer.body, lib.parseMarkdown(content));
      messages.scrollTop = messages.scrollHeight;
    };
    try {
      const res = await fetch("/v1/chat/completions", {
        method: "POST",
        headers: authHeaders({ "content-type": "application/json", accept: "text/event-stream" }),
        body: JSON.stringify(request),
        signal: controller.signal,
      });
      // The gateway's wait: for a slot, a cold upstream, or a local engine's start/wake.
      cold = res.headers.get("x-rouse-cold-start") === "true";
      waitMs = Number(res.headers.get("x-rouse-queue-ms") ?? 0);
      upstream = res.headers.get("x-rouse-upstream") ?? "";
      if (!res.ok || !res.body) {
        state = "error";
        error = await errorText(res);
      } else {
        for await (const data of lib.readSse(res.body)) {
          if (data === "[DONE]") break;
          let chunk: {
            choices?: { delta?: { content?: unknown } }[];
            usage?: { completion_tokens?: number } | null;
            error?: { message?: string };
          };
          try {
            chunk = JSON.parse(data);
          } catch {
            continue;
          }
          if (chunk.error) {
            state = "error";
            error = chunk.error.message ?? "the stream failed";
            break;
          }
          const delta = chunk.choices?.[0]?.delta?.content;
          if (typeof delta === "string" && delta !== "") {
            first ??= performance.now();
            chunks++;
            content += delta;
            if (!frame) frame = requestAnimationFrame(paint);
          }
          if (typeof chunk.usage?.completion_tokens === "number") usageTokens = chunk.usage.completion_tokens;
        }
        if (state === "streaming") state = "done";
      }
    } catch (e) {
      if (controller.signal.aborted) state = "stopped";
      else {
        state = "error";
        error = (e as Error).message;
      }
    }
    if (frame) cancelAnimationFrame(frame);
    paint();
    const ended = performance.now();
    const tokens = usageTokens ?? chunks;
    const ttft = first === undefined ? undefined : first - started;
    const genSeconds = first === undefined ? 0 : (ended - first) / 1000;
    const rate = genSeconds > 0 && tokens > 1 ? (tokens - 1) / genSeconds : undefined;
    const s = answer.stats;
    s.replaceChildren();
    const parts: string[] = [];
    if (ttft !== undefined) parts.push(`TTFT ${Math.round(ttft)} ms`);
    parts.push(`${tokens} tokens${usageTokens === undefined ? " (chunks)" : ""}`);
    if (rate !== undefined) parts.push(`${rate.toFixed(1)} tok/s`);
    if (upstream) parts.push(`via ${upstream}`);
    if (state === "stopped") parts.push("stopped");
    s.appendChild(document.createTextNode(parts.join(" · ")));
    const coldText = cold
      ? ` · cold start, waited ${(waitMs / 1000).toFixed(1)} s`
      : ` · warm, waited ${Math.round(waitMs)} ms`;
    s.appendChild(el("span", cold ? "cold" : "", coldText));
    if (error) answer.root.appendChild(el("div", "error", error));
    Object.assign(answer.root.dataset, {
      state,
      tokens: String(tokens),
      ttftMs: ttft === undefined ? "" : String(Math.round(ttft)),
      coldStart: String(cold),
      waitMs: String(Math.round(waitMs)),
    });
    if (content) turns.push({ role: "assistant", content });
    else if (state !== "done") turns.pop(); // nothing came back: the question can be asked again
    running = undefined;
    setRunning(false);
  }

  byId<HTMLFormElement>("composer").addEventListener("submit", (e) => {
    e.preventDefault();
    void send();
  });
  promptInput.addEventListener("keydown", (e) => {
    if (e.key === "Enter" && !e.shiftKey && !e.isComposing) {
      e.preventDefault();
      void send();
    }
  });
  stopButton.addEventListener("click", () => running?.abort());
  byId<HTMLButtonElement>("new-chat").addEventListener("click", () => {
    running?.abort();
    turns = [];
    messages.replaceChildren();
  });

  // ---- fleet -----------------------------------------------------------------------
  /** The states each upstream was seen in, in order, as this page watched. */
  const trails = new Map<string, string[]>();
  let fleetWatch: AbortController | undefined;

  const clock = (iso: string) => new Date(iso).toLocaleTimeString();

  function card(u: FleetSnapshot["upstreams"][number]): HTMLElement {
    const trail = trails.get(u.name) ?? [];
    if (trail[trail.length - 1] !== u.state) trail.push(u.state);
    if (trail.length > 12) trail.shift();
    trails.set(u.name, trail);
    return lib.fleetCard(u, trail);
  }

  function renderFleet(snap: FleetSnapshot): void {
    fleetGateway.textContent = `gateway: ${snap.gateway.inFlight} request(s) in flight, ${snap.gateway.waiting} waiting for a cold upstream · ${clock(snap.at)}`;
    fleetList.replaceChildren(...snap.upstreams.map(card));
    fleetStatus.textContent = "live";
  }

  async function watchFleet(): Promise<void> {
    fleetWatch?.abort();
    const watch = new AbortController();
    fleetWatch = watch;
    let delay = 1000;
    while (!watch.signal.aborted) {
      try {
        const res = await fetch("/api/v1/fleet/stream", { headers: authHeaders(), signal: watch.signal });
        if (!res.ok || !res.body) {
          fleetStatus.textContent = await errorText(res);
          // A missing or wrong key will not fix itself: wait for "Use key".
          if (res.status === 401 || res.status === 403) {
            fleetList.replaceChildren();
            fleetGateway.textContent = "";
            return;
          }
        } else {
          fleetStatus.textContent = "connected";
          delay = 1000;
          for await (const data of lib.readSse(res.body)) renderFleet(JSON.parse(data) as FleetSnapshot);
          fleetStatus.textContent = "reconnecting…";
        }
      } catch (e) {
        if (watch.signal.aborted) return;
        fleetStatus.textContent = `reconnecting… (${(e as Error).message})`;
      }
      await new Promise((r) => setTimeout(r, delay));
      delay = Math.min(delay * 2, 15_000);
    }
  }

  // ---- auth ------------------------------------------------------------------------
  byId<HTMLFormElement>("auth").addEventListener("submit", (e) => {
    e.preventDefault();
    const typed = keyInput.value.trim();
    // Only visible ASCII can travel in a header; say so instead of letting fetch fail on every call.
    if (/[^\x21-\x7e]/.test(typed)) {
      setAuthStatus("that key has characters an HTTP header cannot carry", true);
      return;
    }
    apiKey = typed;
    if (apiKey) sessionStorage.setItem(KEY_STORAGE, apiKey);
    else sessionStorage.removeItem(KEY_STORAGE);
    void loadModels();
    void watchFleet();
  });
  byId<HTMLButtonElement>("key-forget").addEventListener("click", () => {
    apiKey = "";
    keyInput.value = "";
    sessionStorage.removeItem(KEY_STORAGE);
    void loadModels();
    void watchFleet();
  });

  void loadModels();
  void watchFleet();
}
