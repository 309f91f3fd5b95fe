import { existsSync, statSync } from "node:fs";
import { homedir } from "node:os";
import { isAbsolute, join, resolve } from "node:path";

/**
 * For a `model.id` that names a directory on this machine (absolute, `./`, `../`
 * or `~/`), why it cannot be loaded; undefined for hub ids and usable directories.
 * Engines take any string that is not an existing directory for a hub repo id, and
 * fail with a hub error (vLLM: HFValidationError) that never mentions the path.
 */
export function modelPathProblem(id: string, cwd = process.cwd()): string | undefined {
  const looksLocal = isAbsolute(id) || id.startsWith("./") || id.startsWith("../") || id.startsWith("~/");
  if (!looksLocal) return undefined;
  const path = id.startsWith("~/") ? join(homedir(), id.slice(2)) : resolve(cwd, id);
  if (!existsSync(path)) return `model.id is the local path ${path}, which does not exist`;
  if (!statSync(path).isDirectory()) return `model.id is the local path ${path}, which is not a directory`;
  if (!existsSync(join(path, "config.json")) && !existsSync(join(path, "params.json")))
    return `model.id is the local path ${path}, which has no config.json (not a model directory)`;
  return undefined;
}
