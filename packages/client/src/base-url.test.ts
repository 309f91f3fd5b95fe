import { describe, expect, it } from "vitest";
import { normalizeBaseURL, resolveRootPath } from "./base-url.ts";
import { RouseClientError } from "./errors.ts";

describe("normalizeBaseURL", () => {
  it.each([
    "https://x.modal.run",
    "https://x.modal.run/",
    "https://x.modal.run/v1",
    "https://x.modal.run/v1/",
    " https://x.modal.run// ",
  ])("%s → root https://x.modal.run, api …/v1", (input) => {
    expect(normalizeBaseURL(input)).toEqual({ root: "https://x.modal.run", api: "https://x.modal.run/v1" });
  });

  it("keeps a path prefix", () => {
    expect(normalizeBaseURL("http://127.0.0.1:8000/engines/qwen/v1")).toEqual({
      root: "http://127.0.0.1:8000/engines/qwen",
      api: "http://127.0.0.1:8000/engines/qwen/v1",
    });
  });

  it("rejects what is not an http(s) URL, with a hint", () => {
    expect(() => normalizeBaseURL("localhost:8000")).toThrow(RouseClientError);
    expect(() => normalizeBaseURL("not a url")).toThrow(/Invalid baseURL/);
    expect(() => normalizeBaseURL("ftp://x")).toThrow(/protocol/);
  });

  it("resolves health paths against the root", () => {
    const urls = normalizeBaseURL("https://x/v1");
    expect(resolveRootPath(urls, "/health")).toBe("https://x/health");
    expect(resolveRootPath(urls, "ping")).toBe("https://x/ping");
    expect(resolveRootPath(urls, "https://other/health")).toBe("https://other/health");
  });
});
