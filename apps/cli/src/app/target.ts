import { existsSync } from "node:fs";
import { resolve } from "node:path";
import type { DeploymentConfigV1 } from "@rouse/config";
import type { Endpoint } from "@rouse/engines";
import { loadConfig } from "../config-source.ts";
import { type DeploymentRecord, readState } from "../state.ts";
import { CliError, type Io, UsageError } from "../ui/output.ts";
import { generateFor } from "./generate-app.ts";

// Which deployment a command is about: --app NAME, else the config's name (a file
// argument, --preset, or ./rouse.yaml), else the only deployment in .rouse/state.json.

export interface Target {
  readonly app: string;
  readonly record: DeploymentRecord | undefined;
  readonly config: DeploymentConfigV1 | undefined;
  /** Where the choice came from, for messages. */
  readonly from: string;
}

export interface TargetFlags {
  readonly app?: string | undefined;
  readonly file?: string | undefined;
  readonly preset?: string | undefined;
}

export async function resolveTarget(io: Io, flags: TargetFlags): Promise<Target> {
  const state = await readState(io.cwd);
  if (flags.app) {
    return { app: flags.app, record: state.deployments[flags.app], config: undefined, from: "--app" };
  }
  if (flags.file || flags.preset || existsSync(resolve(io.cwd, "rouse.yaml"))) {
    const loaded = await loadConfig(io, flags.file, flags.preset, true);
    const app = loaded.config.name;
    return { app, record: state.deployments[app], config: loaded.config, from: loaded.source };
  }
  const names = Object.keys(state.deployments);
  if (names.length === 1) {
    const app = names[0]!;
    return { app, record: state.deployments[app], config: undefined, from: ".rouse/state.json" };
  }
  throw new CliError(
    names.length === 0
      ? "which app? no rouse.yaml here and nothing deployed from here yet"
      : `which app? .rouse/state.json has ${names.length}: ${names.join(", ")}`,
    "pass --app NAME (or a rouse.yaml), or run `rouse deploy` first",
  );
}

/** The endpoint's place in the app: from the deploy record, else from generating the config. */
export function targetEndpoint(io: Io, target: Target): Endpoint {
  if (target.record?.endpoint) return target.record.endpoint;
  if (target.config) {
    return generateFor(io, { config: target.config, warnings: [], source: target.from }, true).endpoint;
  }
  throw new CliError(
    `don't know where ${target.app}'s web endpoint is`,
    "run the command where its rouse.yaml is (or after `rouse deploy` from here), or pass --url",
  );
}

/** The base URL to talk to: --url, else $ROUSE_URL, else the recorded deployment's. */
export async function resolveUrl(
  io: Io,
  flags: TargetFlags & { url?: string | undefined },
): Promise<{ url: string; target: Target | undefined }> {
  if (flags.url) return { url: checkUrl(flags.url), target: undefined };
  if (io.env.ROUSE_URL) return { url: checkUrl(io.env.ROUSE_URL), target: undefined };
  const target = await resolveTarget(io, flags);
  if (!target.record?.webUrl) {
    throw new CliError(
      `no URL recorded for ${target.app}`,
      target.record
        ? "run `rouse url` (asks Modal), then pass --url"
        : "pass --url URL, or run `rouse deploy` first",
    );
  }
  return { url: target.record.webUrl, target };
}

function checkUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.protocol !== "http:" && parsed.protocol !== "https:") throw new Error("not http(s)");
    return url;
  } catch {
    throw new UsageError(`--url must be an http(s) URL, got '${url}'`);
  }
}

/** The API key: --api-key, else the variable --api-key-env names (default: the config's apiKeyEnv, ROUSE_API_KEY). */
export function resolveApiKey(
  io: Io,
  flags: { apiKey?: string | undefined; apiKeyEnv?: string | undefined },
  config?: DeploymentConfigV1,
): string | undefined {
  if (flags.apiKey) return flags.apiKey;
  const name = flags.apiKeyEnv ?? config?.secrets.apiKeyEnv ?? "ROUSE_API_KEY";
  const value = io.env[name];
  if (flags.apiKeyEnv && !value)
    throw new CliError(`--api-key-env ${name}: the variable is not set`, `export ${name}=<key>`);
  return value || undefined;
}
