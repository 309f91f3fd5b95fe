// The playground in a real headless Chromium (Debian's `chromium`, driven by
// playwright-core): chat against a stand-in upstream (streamed answer, Stop cancels
// the upstream request, multi-turn, model output rendered as text), auth through
// the gateway's keys, and the fleet view watching a local engine (the STAND-IN
// ENGINE of tools/engine-standin, a real process) go cold → warming → ready.
// Skipped when no Chromium is installed, except under ROUSE_REQUIRE_BROWSER=1 (CI
// installs it), where a missing browser is a failure. Screenshots: apps/api/.artifacts/.
import { existsSync, mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseDeployment } from "@rouse/config";
import fc from "fast-check";
import { type BrowserContext, chromium, type Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { standinExecutable } from "../../../../tools/engine-standin/spawn.ts";
import { createGateway, type Gateway } from "../gateway.ts";
import { type ServingLocal, serveLocal } from "../local/serve-local.ts";
import { sha256Hex } from "../middleware/auth/index.ts";
import { type RunningServer, startServer } from "../server.ts";
import { FakeUpstream, sse } from "../test/fake-upstream.ts";
import { type FakeEngine, startFakeEngine } from "@rouse/client/testing";
import { renderMarkdown } from "./client/dom-markdown.ts";
import { parseMarkdown } from "./client/markdown.ts";

const CHROMIUM = ["/usr/bin/chromium", "/usr/bin/chromium-browser"].find((p) => existsSync(p));
const FLAGS = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
  "--disable-dev-shm-usage",
];
const ARTIFACTS = join(import.meta.dirname, "..", "..", ".artifacts");
const KEY = "pg-test-key-7f3a";

// What a hostile (or just unlucky) model might answer; split across chunks so the
// markup only exists once the page has joined them.
const EVIL = [
  "Here is **bold** and `code`.\n\n<scr",
  "ipt>window.__pwned = 1</script>\n\n",
  '<img src=x onerror="window.__pwned = 2">',
  "\n\n[click](javascript:window.__pwned=3) and [docs](https://example.com/a?b=<c>)",
  '\n\n```html\n<script>window.__pwned = 4</script>\n```\n<a href="javascript:alert(1)">x</a>',
];

it.runIf(!CHROMIUM && process.env.ROUSE_REQUIRE_BROWSER === "1")(
  "Chromium is installed (ROUSE_REQUIRE_BROWSER=1)",
  () => {
    expect(CHROMIUM, "install Debian's chromium package: apt-get install -y chromium").toBeDefined();
  },
);

describe.skipIf(!CHROMIUM)("the playground in headless Chromium", () => {
  let context: BrowserContext;
  const profile = mkdtempSync(join(tmpdir(), "rouse-playground-"));
  const consoleText: string[] = [];
  const requestUrls: string[] = [];

  beforeAll(async () => {
    mkdirSync(ARTIFACTS, { recursive: true });
    context = await chromium.launchPersistentContext(profile, {
      executablePath: CHROMIUM!,
      headless: true,
      args: FLAGS,
      viewport: { width: 1280, height: 860 },
    });
    // No network beyond the gateway: any other request fails the test below.
    context.on("request", (r) => requestUrls.push(r.url()));
    context.on("console", (m) => consoleText.push(m.text()));
  }, 60_000);
  afterAll(async () => {
    await context?.close();
    rmSync(profile, { recursive: true, force: true });
  });

  const newPage = async (): Promise<Page> => {
    const page = await context.newPage();
    page.on("pageerror", (e) => consoleText.push(`pageerror: ${e.message}`));
    return page;
  };

  const lastAnswer = (page: Page) => page.locator(".msg.assistant").last();

  describe("chat, against a stand-in upstream behind keyed auth", () => {
    let standin: FakeEngine;
    let gateway: Gateway;
    let server: RunningServer;
    const evil = new FakeUpstream("evil", ["evil"], () =>
      sse(
        EVIL.map((c) => JSON.stringify({ choices: [{ index: 0, delta: { content: c } }] })).concat("[DONE]"),
      ),
    );

    beforeAll(async () => {
      standin = await startFakeEngine({ model: "standin", tokens: 400, chunkDelayMs: 25 });
      gateway = createGateway(
        {
          version: 1,
          auth: { keys: [{ name: "browser", sha256: sha256Hex(KEY), requestsPerMinute: 600 }] },
          upstreams: [{ name: "standin", url: `${standin.url}/v1`, models: ["standin"] }],
        },
        {
          log: () => {},
          upstreams: [evil],
          // What `rouse serve` would get from Modal's SDK for a recorded deployment (a stand-in answer here).
          containerStats: (name) =>
            name === "standin" ? Promise.resolve({ running: 2, backlog: 1 }) : undefined,
        },
      );
      server = await startServer(gateway, {
        host: "127.0.0.1",
        port: 0,
        log: () => {},
        shutdownDeadlineMs: 2_000,
      });
    });
    afterAll(async () => {
      await server?.close();
      await standin?.close();
    });

    it("loads small and self-contained, then asks for a key before showing anything", {
      timeout: 60_000,
    }, async () => {
      const page = await newPage();
      const sizes: number[] = [];
      page.on("response", async (r) => {
        if (r.url().startsWith(server.url) && !r.url().includes("/v1/")) sizes.push((await r.body()).length);
      });
      const res = await page.goto(`${server.url}/`);
      expect(res?.status()).toBe(200);
      expect(res?.headers()["content-security-policy"]).toContain("script-src 'self'");
      await expect.poll(() => page.textContent("#auth-status")).toContain("401");
      await expect.poll(() => page.textContent("#fleet-status")).toContain("401");
      expect(await page.locator("#model option").count()).toBe(0);
      const total = sizes.reduce((a, b) => a + b, 0);
      expect(total, "page + script + styles").toBeLessThan(100 * 1024);
      expect(sizes.length).toBe(3);

      await page.fill("#key", "ключ");
      await page.click("#key-save");
      await expect
        .poll(() => page.textContent("#auth-status"))
        .toContain("characters an HTTP header cannot carry");
      expect(await page.evaluate(() => sessionStorage.length)).toBe(0);

      await page.fill("#key", "wrong-key");
      await page.click("#key-save");
      await expect.poll(() => page.textContent("#auth-status")).toContain("401");

      await page.fill("#key", KEY);
      await page.click("#key-save");
      await expect.poll(() => page.locator("#model option").allTextContents()).toEqual(["standin", "evil"]);
      await expect.poll(() => page.locator(".upstream").count()).toBe(2);
      const card = page.locator('.upstream[data-upstream="standin"]');
      expect(await card.locator('[data-field="containers"]').textContent()).toBe(
        "2 running, 1 queued (Modal)",
      );
      expect(await page.locator('.upstream[data-upstream="evil"] [data-field="containers"]').count()).toBe(0);
      // Kept for this tab only, never in localStorage or a URL.
      expect(await page.evaluate(() => sessionStorage.getItem("rouse.apiKey"))).toBe(KEY);
      expect(await page.evaluate(() => localStorage.length)).toBe(0);

      // Forget: gone from the tab, and nothing the key could see stays on screen.
      await page.click("#key-forget");
      await expect.poll(() => page.locator("#model option").count()).toBe(0);
      await expect.poll(() => page.locator(".upstream").count()).toBe(0);
      expect(await page.evaluate(() => sessionStorage.length)).toBe(0);
      await page.close();
    });

    it("streams, stops mid-stream with the upstream cancelled, continues the conversation", {
      timeout: 90_000,
    }, async () => {
      const page = await newPage();
      const bodies: string[] = [];
      page.on("request", (r) => {
        if (r.url().endsWith("/v1/chat/completions")) bodies.push(r.postData() ?? "");
      });
      await page.goto(`${server.url}/`);
      await page.fill("#key", KEY);
      await page.click("#key-save");
      await expect.poll(() => page.locator("#model option").count()).toBe(2);
      await page.selectOption("#model", "standin");
      await page.fill("#system", "Answer like a fox.");
      await page.fill("#prompt", "Tell me a story.");
      const aborted = standin.nextAbort();
      const abortsBefore = standin.stats.aborted;
      await page.click("#send");

      // Streamed: words appear while the answer is still running.
      const answer = lastAnswer(page);
      await expect
        .poll(() => answer.locator(".body").textContent(), { timeout: 20_000 })
        .toContain("quick brown fox");
      expect(await answer.getAttribute("data-state")).toBe("streaming");
      expect(await page.isEnabled("#stop")).toBe(true);
      await page.screenshot({ path: join(ARTIFACTS, "playground-streaming.png") });

      await page.click("#stop");
      await aborted; // the stand-in upstream saw its client (the gateway) go away
      expect(standin.stats.aborted).toBe(abortsBefore + 1);
      await expect.poll(() => answer.getAttribute("data-state")).toBe("stopped");
      const partial = (await answer.locator(".body").textContent()) ?? "";
      expect(partial.length).toBeGreaterThan(0);
      expect(partial.split(" ").length).toBeLessThan(400);
      expect(Number(await answer.getAttribute("data-ttft-ms"))).toBeGreaterThan(0);
      expect(await answer.getAttribute("data-cold-start")).toBe("false");
      expect(await answer.locator(".stats").textContent()).toMatch(
        /TTFT \d+ ms · \d+ tokens.*tok\/s · via standin · stopped/,
      );

      // A second turn carries the first question and the stopped answer.
      await page.fill("#max-tokens", "6");
      await page.fill("#temperature", "0.2");
      await page.fill("#prompt", "And then?");
      await page.press("#prompt", "Enter");
      await expect.poll(() => lastAnswer(page).getAttribute("data-state"), { timeout: 20_000 }).toBe("done");
      expect(await lastAnswer(page).locator(".body").textContent()).toBe("The quick brown fox jumps over");
      expect(await lastAnswer(page).getAttribute("data-tokens")).toBe("6");
      const second = JSON.parse(bodies[1]!) as Record<string, unknown>;
      expect(second).toMatchObject({
        model: "standin",
        stream: true,
        max_tokens: 6,
        temperature: 0.2,
        messages: [
          { role: "system", content: "Answer like a fox." },
          { role: "user", content: "Tell me a story." },
          { role: "assistant", content: expect.stringContaining("The quick brown") },
          { role: "user", content: "And then?" },
        ],
      });
      // The key went in the Authorization header of every call, never in a URL.
      expect(standin.stats.authorizations.some((a) => a.includes(KEY))).toBe(false);
      await page.screenshot({ path: join(ARTIFACTS, "playground-chat.png") });
      await page.close();
    });

    it("renders model output as text: no script, image, handler or javascript: link gets in", {
      timeout: 60_000,
    }, async () => {
      const page = await newPage();
      await page.goto(`${server.url}/`);
      await page.fill("#key", KEY);
      await page.click("#key-save");
      await expect.poll(() => page.locator("#model option").count()).toBe(2);
      await page.selectOption("#model", "evil");
      await page.fill("#prompt", "Say something dangerous.");
      await page.click("#send");
      const answer = lastAnswer(page);
      await expect.poll(() => answer.getAttribute("data-state")).toBe("done");
      const body = answer.locator(".body");
      const text = (await body.textContent()) ?? "";
      expect(text).toContain("<script>window.__pwned = 1</script>");
      expect(text).toContain('<img src=x onerror="window.__pwned = 2">');
      expect(text).toContain('<a href="javascript:alert(1)">x</a>');
      // Markdown still renders — as elements the page made itself.
      expect(await body.locator("strong").textContent()).toBe("bold");
      expect(await body.locator("pre code").textContent()).toBe("<script>window.__pwned = 4</script>");
      const tags = await body.evaluate((b) =>
        [...b.querySelectorAll("*")].map((e) => e.tagName.toLowerCase()),
      );
      expect(new Set(tags)).toEqual(new Set(["p", "strong", "code", "pre", "a"]));
      const links = await body.evaluate((b) =>
        [...b.querySelectorAll("a")].map((a) => a.getAttribute("href")),
      );
      expect(links).toEqual(["https://example.com/a?b=%3Cc%3E"]);
      const attrs = await body.evaluate((b) =>
        [...b.querySelectorAll("*")].flatMap((e) => e.getAttributeNames().filter((n) => n.startsWith("on"))),
      );
      expect(attrs).toEqual([]);
      await page.waitForTimeout(300); // an onerror would have fired by now
      expect(await page.evaluate(() => (window as unknown as { __pwned?: number }).__pwned)).toBeUndefined();
      await page.screenshot({ path: join(ARTIFACTS, "playground-xss.png") });
      await page.close();
    });
  });

  describe("fleet, served by `rouse serve --local` (serveLocal) with a stand-in engine", () => {
    let local: ServingLocal;

    beforeAll(async () => {
      local = await serveLocal(
        [
          {
            config: parseDeployment({
              version: 1,
              name: "qwen-local",
              model: { id: "standin/qwen", servedName: ["qwen-local"] },
              engine: { kind: "vllm", gpuMemoryUtilization: 0.6 },
              local: { scaleToZero: "stop" },
            }),
            source: "rouse.yaml",
          },
        ],
        {
          port: 0,
          preload: false,
          log: () => {},
          deps: { log: () => {} },
          engines: {
            supervisor: () => ({
              // Loads for 4 s: the page's polls must see `warming` (and its queue) before `ready`,
              // and a browser on a loaded machine answers slowly.
              executable: [...standinExecutable("vllm"), "--load-ms=4000", "--token-ms=40"],
              scaleDownAfterMs: 60_000,
              startupTimeoutMs: 30_000,
            }),
          },
        },
      );
    }, 30_000);
    afterAll(async () => {
      await local?.close();
    });

    it("shows the engine cold, then warming and ready as the page's own request wakes it", {
      timeout: 90_000,
    }, async () => {
      const page = await newPage();
      await page.goto(`${local.url}/`);
      const card = page.locator('.upstream[data-upstream="qwen-local"]');
      await expect.poll(() => card.locator(".badge").getAttribute("data-state")).toBe("cold");
      expect(await card.locator('[data-field="recent"]').textContent()).toBe("none yet");
      await page.fill("#max-tokens", "12");
      await page.fill("#prompt", "Wake up.");
      await page.click("#send");
      await expect
        .poll(() => card.locator(".badge").getAttribute("data-state"), { timeout: 20_000 })
        .toBe("warming");
      // The waiting request shows on the same snapshot: in the engine's queue, and in flight at the gateway.
      expect(await card.locator('[data-field="queue"]').textContent()).toBe("1");
      expect(await page.textContent("#fleet-gateway")).toContain("1 request(s) in flight");
      await page.screenshot({ path: join(ARTIFACTS, "playground-warming.png") });
      await expect
        .poll(() => card.locator(".badge").getAttribute("data-state"), { timeout: 30_000 })
        .toBe("ready");
      expect(await card.getAttribute("data-trail")).toBe("cold → warming → ready");
      await expect
        .poll(() => card.locator('[data-field="recent"]').textContent())
        .toMatch(/^cold start \d\.\d s/);

      const answer = lastAnswer(page);
      await expect.poll(() => answer.getAttribute("data-state"), { timeout: 20_000 }).toBe("done");
      // It paid the cold start: the engine's wait is in the gateway's answer headers.
      expect(await answer.getAttribute("data-cold-start")).toBe("true");
      expect(Number(await answer.getAttribute("data-wait-ms"))).toBeGreaterThan(1000);
      expect(await answer.locator(".stats .cold").textContent()).toMatch(/cold start, waited \d+\.\d s/);
      await page.screenshot({ path: join(ARTIFACTS, "playground.png") });
      // The README's picture (docs/playground.png is a copy): the part of the page with content.
      await page.screenshot({
        path: join(ARTIFACTS, "playground-readme.png"),
        clip: { x: 0, y: 0, width: 1280, height: 400 },
      });
      await page.close();
    });
  });

  it("renders any hostile Markdown into page-made elements only (a property, in the real DOM)", {
    timeout: 60_000,
  }, async () => {
    const piece = fc.constantFrom(
      "<script>window.__pwned=1</script>",
      '<img src=x onerror="window.__pwned=2">',
      "<svg onload=window.__pwned=3>",
      "<a href=javascript:window.__pwned=4>",
      "javascript:window.__pwned=5",
      "[x](",
      "](",
      ")",
      "https://e.example/",
      "**",
      "*",
      "_",
      "`",
      "```",
      "\n",
      "\n\n",
      "> ",
      "- ",
      "1. ",
      "# ",
      "&lt;",
      "\\",
      " ",
      "a",
    );
    const inputs = fc.sample(
      fc.array(piece, { maxLength: 40 }).map((p) => p.join("")),
      { numRuns: 400, seed: 42 },
    );
    const page = await newPage();
    await page.goto("about:blank");
    await page.addScriptTag({
      content: `window.parseMarkdown = ${parseMarkdown.toString()};\nwindow.renderMarkdown = ${renderMarkdown.toString()};`,
    });
    const bad = await page.evaluate(async (all) => {
      const w = window as unknown as {
        parseMarkdown: typeof parseMarkdown;
        renderMarkdown: typeof renderMarkdown;
        __pwned?: number;
      };
      const allowed = new Set([
        "p",
        "h3",
        "h4",
        "h5",
        "pre",
        "code",
        "ul",
        "ol",
        "li",
        "blockquote",
        "hr",
        "strong",
        "em",
        "a",
        "br",
      ]);
      const attrs = new Set(["href", "rel", "target", "start", "data-lang"]);
      const problems: string[] = [];
      for (const input of all) {
        const box = document.createElement("div");
        document.body.appendChild(box);
        w.renderMarkdown(box, w.parseMarkdown(input));
        for (const e of box.querySelectorAll("*")) {
          const tag = e.tagName.toLowerCase();
          if (!allowed.has(tag)) problems.push(`${JSON.stringify(input)}: <${tag}>`);
          for (const name of e.getAttributeNames()) {
            if (!attrs.has(name)) problems.push(`${JSON.stringify(input)}: ${tag}[${name}]`);
          }
          const href = e.getAttribute("href");
          if (href !== null && !/^https?:\/\//.test(href))
            problems.push(`${JSON.stringify(input)}: href ${href}`);
        }
      }
      await new Promise((r) => setTimeout(r, 200)); // any handler would have run by now
      if (w.__pwned !== undefined) problems.push(`script ran: ${w.__pwned}`);
      return problems;
    }, inputs);
    expect(bad).toEqual([]);
    await page.close();
  });

  it("made no request outside the gateway and logged nothing secret", () => {
    const outside = requestUrls.filter((u) => !u.startsWith("http://127.0.0.1:"));
    expect(outside).toEqual([]);
    expect(requestUrls.some((u) => u.includes(KEY))).toBe(false);
    expect(consoleText.filter((t) => t.includes(KEY) || t.startsWith("pageerror"))).toEqual([]);
  });
});
