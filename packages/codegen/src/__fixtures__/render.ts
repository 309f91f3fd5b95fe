import type { EnginePluginV1 } from "@rouse/engine-spec";
import { ConfigError, deploymentConfigV1Schema, findEnginePlugin, validateDeployment } from "@rouse/config";
import { sglang } from "@rouse/engine-sglang";
import { vllm } from "@rouse/engine-vllm";
import { type GeneratedApp, generateApp } from "../app/generate.ts";

/**
 * The real plugins codegen is tested against. The product's list of installed plugins
 * is @rouse/engines' (which depends on codegen, so codegen's tests cannot import it).
 */
export const plugins = [vllm, sglang] as const;

/**
 * The same plugins as if their engines' servers could not run an ASGI middleware (as a
 * third-party engine's, e.g. llama.cpp's, cannot): rouse's proxy guard then fronts them.
 */
export const proxiedPlugins = plugins.map(
  (plugin): EnginePluginV1 => ({
    ...plugin,
    launch: (config, context) => plugin.launch(config, { ...context, asgiGuard: undefined }),
  }),
);

/**
 * Validate with the real plugins, then generate: what @rouse/engines' renderApp does
 * (`proxied`: with proxiedPlugins, the proxy guard's shape).
 * `unchecked` (tests only) emits a config the schema accepts but the rules refuse, so a
 * test can show that Modal refuses the app too.
 */
export function render(
  config: unknown,
  options: { unchecked?: boolean; proxied?: boolean } = {},
): GeneratedApp {
  const result = validateDeployment(config, { plugins });
  const generators = options.proxied ? proxiedPlugins : plugins;
  if (result.ok) return generateApp(result.config, findEnginePlugin(generators, result.config.engine.kind));
  const parsed = options.unchecked ? deploymentConfigV1Schema.safeParse(config) : undefined;
  if (!parsed?.success) throw new ConfigError(result.issues);
  return generateApp(parsed.data, findEnginePlugin(generators, parsed.data.engine.kind));
}

/** The text of a decorator call, e.g. `@app.cls(` … `)`, at any indentation. */
export function decorator(source: string, name: string): string {
  const m = new RegExp(`^( *)@${name.replaceAll(".", "\\.")}\\(`, "m").exec(source);
  if (!m) throw new Error(`no @${name}( in the source`);
  const line = source.slice(m.index).split("\n")[0]!;
  if (line.endsWith(")")) return line;
  const end = source.indexOf(`\n${m[1]})\n`, m.index);
  return source.slice(m.index, end + m[1]!.length + 2);
}

/** The image's fluent chain, `image = (` up to its closing bracket, as source text. */
export function imageChain(source: string): string {
  const start = source.indexOf("\nimage = (\n");
  if (start < 0) throw new Error("no `image = (` chain in the source");
  return source.slice(start + 1, source.indexOf("\n)\n", start) + 2);
}

/** The right-hand side of a top-level `NAME = …` assignment, as source text. */
export function assigned(source: string, name: string): string {
  const m = new RegExp(`^${name} = (.*)$`, "m").exec(source);
  if (!m) throw new Error(`no ${name} = in the source`);
  return m[1]!.replace(/ {2}# .*$/, "");
}

/**
 * The body of a function or method (its lines up to the next line at its own indentation
 * or less); `signature` is how the def starts, e.g. `start_engine(` or `wake_up(self`.
 */
export function body(source: string, signature: string): string {
  const lines = source.split("\n");
  const i = lines.findIndex((l) => l.trimStart().startsWith(`def ${signature}`));
  if (i < 0) throw new Error(`no def ${signature} in the source`);
  const indent = lines[i]!.length - lines[i]!.trimStart().length;
  const out: string[] = [];
  for (const l of lines.slice(i + 1)) {
    if (l.trim() && l.length - l.trimStart().length <= indent) break;
    out.push(l);
  }
  return out.join("\n");
}

/**
 * The elements of ENGINE_CMD as emitted, decoded (for the simple literals presets use, and
 * the references to the header's constants: `MODEL_NAME`, `str(ENGINE_PORT)`,
 * `f"--revision={MODEL_REVISION}"`; python/tests/codegen reads every app's with
 * rouse_py.app_literals).
 */
export function engineCmd(source: string): string[] {
  const decode = (lit: string): string =>
    JSON.parse(
      lit.startsWith("'") ? `"${lit.slice(1, -1).replaceAll("\\'", "'").replaceAll('"', '\\"')}"` : lit,
    );
  const constant = (name: string): string => {
    const m = new RegExp(`^${name} = (.*?)(  #.*)?$`, "m").exec(source);
    if (!m) throw new Error(`no constant ${name}`);
    return /^[A-Z_]+$/.test(m[1]!) ? constant(m[1]!) : String(decode(m[1]!));
  };
  const start = source.indexOf("ENGINE_CMD = [");
  const end = source.indexOf("\n]\n", start);
  return source
    .slice(start, end)
    .split("\n")
    .slice(1)
    .map((l) => l.trim().replace(/,$/, ""))
    .filter((l) => !l.startsWith("#")) // the plugin's reasons
    .map((e) => {
      if (/^[A-Z_]+$/.test(e)) return constant(e);
      const str = /^str\(([A-Z_]+)\)$/.exec(e);
      if (str) return constant(str[1]!);
      const f = /^f"([^"{}]*)\{([A-Z_]+)\}"$/.exec(e);
      if (f) return f[1] + constant(f[2]!);
      return decode(e);
    });
}
