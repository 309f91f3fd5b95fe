import { existsSync, readFileSync } from "node:fs";
import { homedir } from "node:os";
import { join } from "node:path";

// Where a Modal token would come from, read the way modal 1.6.4's config.py does:
// MODAL_TOKEN_ID/MODAL_TOKEN_SECRET win; otherwise the profile MODAL_PROFILE names,
// else the one marked `active = true`, else `default`, in MODAL_CONFIG_PATH or
// ~/.modal.toml. Local only: whether Modal accepts the token is another question.

export interface TokenSource {
  readonly configured: boolean;
  /** `environment`, `profile NAME (PATH)`, or why none was found. */
  readonly detail: string;
  readonly profile: string | undefined;
}

/** The few bits of TOML `.modal.toml` uses: `[section]` and `key = "string" | true | false`. */
export function parseModalToml(text: string): Record<string, Record<string, string | boolean>> {
  const out: Record<string, Record<string, string | boolean>> = {};
  let section: Record<string, string | boolean> | undefined;
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.replace(/\s+#.*$/, "").trim();
    if (!line || line.startsWith("#")) continue;
    const header = /^\[\s*"?([^"\]]+)"?\s*\]$/.exec(line);
    if (header) {
      section = out[header[1]!] ??= {};
      continue;
    }
    const kv = /^([A-Za-z0-9_-]+)\s*=\s*(.+)$/.exec(line);
    if (!kv || !section) continue;
    const value = kv[2]!.trim();
    if (value === "true" || value === "false") section[kv[1]!] = value === "true";
    else section[kv[1]!] = value.replace(/^(["'])(.*)\1$/, "$2");
  }
  return out;
}

export function findToken(env: NodeJS.ProcessEnv): TokenSource {
  if (env.MODAL_TOKEN_ID && env.MODAL_TOKEN_SECRET) {
    return {
      configured: true,
      detail: "MODAL_TOKEN_ID/MODAL_TOKEN_SECRET in the environment",
      profile: undefined,
    };
  }
  const path = env.MODAL_CONFIG_PATH || join(env.HOME || homedir(), ".modal.toml");
  if (!existsSync(path)) {
    return {
      configured: false,
      detail: `no MODAL_TOKEN_ID/MODAL_TOKEN_SECRET and no ${path}`,
      profile: undefined,
    };
  }
  let profiles: ReturnType<typeof parseModalToml>;
  try {
    profiles = parseModalToml(readFileSync(path, "utf8"));
  } catch (error) {
    return {
      configured: false,
      detail: `${path} could not be read: ${(error as Error).message}`,
      profile: undefined,
    };
  }
  const name =
    env.MODAL_PROFILE || Object.entries(profiles).find(([, v]) => v.active === true)?.[0] || "default";
  const profile = profiles[name];
  if (!profile) {
    return { configured: false, detail: `${path} has no profile '${name}'`, profile: name };
  }
  const id = env.MODAL_TOKEN_ID || profile.token_id;
  const secret = env.MODAL_TOKEN_SECRET || profile.token_secret;
  const oauth = profile.oauth_refresh_token || profile.oauth_jwt_key;
  if ((id && secret) || oauth) {
    return { configured: true, detail: `profile '${name}' in ${path}`, profile: name };
  }
  return {
    configured: false,
    detail: `profile '${name}' in ${path} has no token_id/token_secret`,
    profile: name,
  };
}
