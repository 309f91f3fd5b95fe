import type { DeploymentConfigV1 } from "@rouse/config";
import { findExecutable } from "./executable.ts";
import { modelPathProblem } from "./model-path.ts";
import { bindProbe, describeListeners, listenersOn } from "./port.ts";

/**
 * What can be known to fail before an engine is spawned, each naming the fix:
 * the executable is missing, `model.id` is a local path that is no model
 * directory, or the fixed port is taken. Undefined when nothing is wrong.
 */
export async function preSpawnProblem(options: {
  readonly argv: readonly string[];
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly config: DeploymentConfigV1;
  readonly host: string;
  readonly port: number;
  /** The port was fixed (local.port), not picked free just now. */
  readonly fixedPort: boolean;
}): Promise<string | undefined> {
  const exe = findExecutable(options.argv[0]!, options.env);
  if ("missing" in exe) {
    return `the engine executable cannot run: ${exe.missing}; set local.executable to the engine's path (e.g. a venv's bin/vllm)`;
  }
  const model = modelPathProblem(options.config.model.id);
  if (model) return `${model}; fix model.id`;
  const busy = await bindProbe(options.host, options.port);
  if (busy) {
    const who = listenersOn(options.port);
    const held = who.length > 0 ? ` by ${describeListeners(who)}` : "";
    const fix = options.fixedPort
      ? "stop that process, or change local.port (or remove it: a free port is then picked)"
      : "retry";
    return `port ${options.host}:${options.port} is taken${held} (${busy}); the engine would not be the one answering there: ${fix}`;
  }
  return undefined;
}
