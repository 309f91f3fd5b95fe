import { RouseClientError } from "./errors.ts";

export interface BaseUrls {
  /** The server root, no trailing slash: `https://x` or `https://x/prefix`. Health lives here. */
  root: string;
  /** The OpenAI API base: `${root}/v1`. */
  api: string;
}

/**
 * Accept a base URL with or without `/v1` and with or without a trailing
 * slash: `https://x`, `https://x/`, `https://x/v1` and `https://x/v1/` all
 * mean the same server.
 */
export function normalizeBaseURL(input: string): BaseUrls {
  let url: URL;
  try {
    url = new URL(input.trim());
  } catch (cause) {
    throw new RouseClientError(`Invalid baseURL ${JSON.stringify(input)}`, {
      cause,
      hint: "Pass an absolute http(s) URL, e.g. https://you--app.modal.run or http://127.0.0.1:8000/v1.",
    });
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") {
    throw new RouseClientError(`Unsupported baseURL protocol ${url.protocol}`, {
      hint: "rouse speaks HTTP: use an http:// or https:// URL.",
    });
  }
  const path = url.pathname.replace(/\/+$/, "").replace(/\/v1$/, "");
  const root = `${url.origin}${path}`;
  return { root, api: `${root}/v1` };
}

/** Resolve a path against the root (`/health`) unless it is already absolute (`https://…`). */
export function resolveRootPath(urls: BaseUrls, path: string): string {
  if (/^https?:\/\//i.test(path)) return path;
  return `${urls.root}${path.startsWith("/") ? path : `/${path}`}`;
}
