import type { DeploymentConfigV1 } from "@rouse/config";
import { argFromEnvElement, type EnginePluginV1 } from "@rouse/engine-spec";

export interface ResolvedLaunch {
  readonly argv: string[];
  readonly env: Record<string, string>;
  /** The key the engine was started with (`--api-key` from the environment), if any. */
  readonly apiKey: string | undefined;
  readonly warnings: readonly string[];
}

/**
 * The plugin's launch spec for `target: "local"`, made runnable: flags whose
 * value lives in an environment variable (secrets) are appended here, at start
 * time, so keys never sit in configs or argv templates.
 */
export function resolveLaunch(
  plugin: EnginePluginV1,
  config: DeploymentConfigV1,
  context: { host: string; port: number; executable?: readonly string[] },
  env: Readonly<Record<string, string | undefined>>,
): ResolvedLaunch {
  const spec = plugin.launch(config, {
    target: "local",
    host: context.host,
    port: context.port,
    ...(context.executable ? { executable: context.executable } : {}),
  });
  const argv = [...spec.argv];
  let apiKey: string | undefined;
  for (const arg of spec.argsFromEnv ?? []) {
    const value = env[arg.env];
    if (value === undefined || value === "") {
      if (arg.optional) continue;
      throw new Error(
        `engine '${config.name}': ${arg.flag} is read from the environment variable ${arg.env}, which is not set; export it before \`rouse serve --local\``,
      );
    }
    argv.push(argFromEnvElement(arg, value));
    if (arg.flag === "--api-key") apiKey = value;
  }
  return {
    argv,
    env: { ...spec.env },
    apiKey,
    warnings: (spec.warnings ?? []).map((w) => `${w.field}: ${w.message}`),
  };
}

/** argv for logs: the value of `--api-key` (either form) is hidden. */
export function redact(argv: readonly string[]): string[] {
  return argv.map((a, i) =>
    i > 0 && argv[i - 1] === "--api-key" ? "***" : a.startsWith("--api-key=") ? "--api-key=***" : a,
  );
}
