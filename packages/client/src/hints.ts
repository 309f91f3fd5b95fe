/** What to tell the caller for an HTTP error status. */
export function hintForStatus(
  status: number,
  context: { path: string; attempts: number; baseURL: string },
): string {
  if (status === 401 || status === 403) {
    return (
      "Check the API key (sent as 'Authorization: Bearer …', it must match the engine's --api-key). " +
      "Modal endpoints with proxy auth also need modalProxyAuth: { key, secret } (sent as Modal-Key/Modal-Secret)."
    );
  }
  if (status === 404) {
    if (context.path.endsWith("/embeddings")) {
      return "This engine does not serve embeddings: start vLLM with an embedding model (--runner pooling / --task embed).";
    }
    return `No such route or model. Requests go to ${context.baseURL}/…: check the deployment URL, and the model id against models.list().`;
  }
  if (status === 400 || status === 422) {
    return "The engine rejected the request: see error.message (model name, max_tokens against the context length, engine-specific parameters).";
  }
  if (status === 413) return "The request body is too large for the server or a proxy in front of it.";
  if (status === 429) return "Rate limited: slow down, or raise the deployment's concurrency limits.";
  if (status === 502 || status === 503 || status === 504) {
    return (
      `The deployment is not ready (cold start, no live replica, or overloaded) and ${context.attempts} attempt(s) did not get through: ` +
      "call client.waitUntilReady() first, or raise retry.maxAttempts / retry.maxElapsedMs."
    );
  }
  if (status >= 500) return "The engine failed while serving the request: check its logs.";
  return "The server refused the request: see the body for details.";
}

export function hintForConnection(code: string | undefined, url: string): string {
  const where = safeHost(url);
  switch (code) {
    case "ECONNREFUSED":
      return `Nothing is listening at ${where}: is the engine (or the local server) running on that port?`;
    case "ENOTFOUND":
      return `DNS lookup for ${where} failed: check the base URL's host name.`;
    case "ECONNRESET":
    case "UND_ERR_SOCKET":
    case "EPIPE":
      return `The connection to ${where} was closed before an answer: the server crashed or restarted, or a proxy dropped it.`;
    default:
      return `Could not talk to ${where}: check the URL and the network.`;
  }
}

function safeHost(url: string): string {
  try {
    return new URL(url).host;
  } catch {
    return url;
  }
}
