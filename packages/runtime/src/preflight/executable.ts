import { accessSync, constants, statSync } from "node:fs";
import { delimiter, isAbsolute, join, resolve } from "node:path";

/**
 * Where `command` would run from: a path (anything with a `/`) as is, else the
 * first executable match on PATH. Returns the path, or why there is none.
 */
export function findExecutable(
  command: string,
  env: Readonly<Record<string, string | undefined>> = process.env,
  cwd = process.cwd(),
): { path: string } | { missing: string } {
  if (command.includes("/")) {
    const path = isAbsolute(command) ? command : resolve(cwd, command);
    const why = notRunnable(path);
    return why ? { missing: `${path} ${why}` } : { path };
  }
  const dirs = (env.PATH ?? "").split(delimiter).filter(Boolean);
  for (const dir of dirs) {
    const path = join(dir, command);
    if (!notRunnable(path)) return { path };
  }
  return { missing: `'${command}' is not on PATH (${dirs.length} directories searched)` };
}

function notRunnable(path: string): string | undefined {
  try {
    if (!statSync(path).isFile()) return "is not a file";
    accessSync(path, constants.X_OK);
    return undefined;
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    return code === "EACCES" ? "is not executable" : "does not exist";
  }
}
