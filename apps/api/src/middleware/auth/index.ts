import { createHash, hash, timingSafeEqual } from "node:crypto";
import type { Context } from "hono";
import { bearerAuth } from "hono/bearer-auth";
import { createMiddleware } from "hono/factory";
import { errorResponse, GatewayError } from "../../errors.ts";

export interface ApiKeyEntry {
  readonly name: string;
  /** Lower-case hex SHA-256 of the key. */
  readonly sha256: string;
  /** Models the key may use; absent: all. */
  readonly models?: readonly string[];
  readonly requestsPerMinute?: number;
}

/** Who is calling: a configured key, or `anonymous` (no-auth on loopback). */
export interface Principal {
  readonly name: string;
  readonly anonymous: boolean;
  /** Absent: every model. */
  readonly models: ReadonlySet<string> | undefined;
  readonly requestsPerMinute: number | undefined;
}

export interface ApiKeyAuthOptions {
  readonly keys: readonly ApiKeyEntry[];
  /** Let requests without a key through when they come from loopback. */
  readonly allowNoAuthOnLoopback?: boolean;
  /** The peer's address; undefined for in-process requests (`app.request`), which count as local. */
  readonly remoteAddress?: (c: Context) => string | undefined;
}

export function sha256Hex(key: string): string {
  return createHash("sha256").update(key, "utf8").digest("hex");
}

export function isLoopbackAddress(address: string | undefined): boolean {
  if (address === undefined) return true;
  if (address === "::1" || address === "localhost") return true;
  const v4 = address.startsWith("::ffff:") ? address.slice(7) : address;
  return v4.startsWith("127.");
}

function nodeRemoteAddress(c: Context): string | undefined {
  const env = c.env as { incoming?: { socket?: { remoteAddress?: string } } } | undefined;
  return env?.incoming?.socket?.remoteAddress;
}

const invalidKey = () =>
  new GatewayError(401, "authentication_error", "Incorrect API key provided.", { code: "invalid_api_key" });

/**
 * The check behind `apiKeyAuth`, usable outside Hono (the Node fast path):
 * presented key (or none) and peer address → principal, or a 401 GatewayError.
 */
export function createKeyVerifier(options: {
  readonly keys: readonly ApiKeyEntry[];
  readonly allowNoAuthOnLoopback?: boolean;
}): (key: string | undefined, remoteAddress: string | undefined) => Principal {
  const entries = options.keys.map((k) => ({
    digest: Buffer.from(k.sha256, "hex"),
    principal: {
      name: k.name,
      anonymous: false,
      models: k.models ? new Set(k.models) : undefined,
      requestsPerMinute: k.requestsPerMinute,
    } satisfies Principal,
  }));
  const anonymous: Principal = {
    name: "anonymous",
    anonymous: true,
    models: undefined,
    requestsPerMinute: undefined,
  };
  return (key, remoteAddress) => {
    if (key === undefined || key === "") {
      if (options.allowNoAuthOnLoopback && isLoopbackAddress(remoteAddress)) return anonymous;
      throw new GatewayError(
        401,
        "authentication_error",
        "You didn't provide an API key. Send it as 'Authorization: Bearer <key>'.",
        { code: "missing_api_key" },
      );
    }
    // One-shot hash: several times cheaper than createHash() on the hot path.
    const presented = hash("sha256", key, "buffer");
    let found: Principal | undefined;
    for (const e of entries) {
      // No early exit: every digest is compared, so timing says nothing about which matched.
      if (timingSafeEqual(presented, e.digest) && found === undefined) found = e.principal;
    }
    if (!found) throw invalidKey();
    return found;
  };
}

/**
 * API-key auth: `Authorization: Bearer <key>` (checked by hono's `bearer-auth`
 * with our verifier), else `x-api-key`. Keys are kept as SHA-256 digests; the
 * presented key is hashed and compared with every digest in constant time. Sets
 * `c.var.principal`. Failures are OpenAI-style 401s.
 *
 * @example
 * app.use("/v1/*", apiKeyAuth({ keys: [{ name: "ci", sha256: sha256Hex(process.env.KEY!) }] }));
 */
export function apiKeyAuth(options: ApiKeyAuthOptions) {
  const verify = createKeyVerifier(options);
  const remote = options.remoteAddress ?? nodeRemoteAddress;
  const refuse = (err: GatewayError) => () => errorResponse(err, { "www-authenticate": "Bearer" });
  type AuthEnv = { Variables: { principal: Principal } };
  const bearer = bearerAuth<AuthEnv>({
    verifyToken: (token, c) => {
      try {
        c.set("principal", verify(token, remote(c as unknown as Context)));
        return true;
      } catch {
        return false;
      }
    },
    invalidToken: { message: refuse(invalidKey()) },
    invalidAuthenticationHeader: {
      message: refuse(
        new GatewayError(401, "authentication_error", "Send the API key as 'Authorization: Bearer <key>'.", {
          code: "invalid_authorization_header",
        }),
      ),
    },
  });
  // Not async: a failed check throws (synchronously: Hono's compose turns it into onError's answer).
  return createMiddleware<AuthEnv>((c, next) => {
    if (c.req.header("authorization") !== undefined) return bearer(c, next);
    c.set("principal", verify(c.req.header("x-api-key"), remote(c as unknown as Context)));
    return next();
  });
}
