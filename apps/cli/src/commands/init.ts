import { existsSync } from "node:fs";
import { resolve } from "node:path";
import { createInterface } from "node:readline/promises";
import { type DeploymentConfigV1Input, findPreset, GPU_TYPE_NAMES, presets } from "@rouse/config";
import { validateConfig } from "@rouse/engines";
import { stringify } from "yaml";
import { writeFileAtomic } from "../fs-atomic.ts";
import { CliError, EXIT, type Io, printIssues, styles, UsageError } from "../ui/output.ts";
import { defineCommand } from "./command.ts";
import * as shared from "./options.ts";

const HEADER = "# rouse deployment config — `rouse schema > rouse.schema.json` gives your editor autocompletion.\n";

export const initCommand = defineCommand({
  name: "init",
  summary: "write a new rouse.yaml (from a preset or a few answers)",
  description: `Writes a rouse.yaml. With a TTY and no --preset/--model, asks a few questions;
otherwise uses the flags. Never overwrites an existing file without --force.`,
  options: {
    preset: { type: "string", value: "NAME", description: "start from a built-in preset (see `rouse presets`)" },
    model: { type: "string", value: "ID", description: "Hugging Face model id, e.g. Qwen/Qwen3-8B-FP8" },
    engine: { type: "string", value: "KIND", description: "vllm (default) or sglang" },
    name: { type: "string", value: "NAME", description: "Modal app name" },
    gpu: { type: "string", value: "TYPE", description: GPU_TYPE_NAMES.join(", ") },
    file: { type: "string", value: "PATH", description: "where to write (default rouse.yaml)" },
    force: { type: "boolean", description: "overwrite an existing file" },
    json: shared.json('print {"file", "config"} instead of a message'),
  },
  async run({ values }, io) {
    const file = values.file ?? "rouse.yaml";
    const path = resolve(io.cwd, file);
    if (existsSync(path) && !values.force) {
      throw new CliError(`${file} already exists`, "pass --force to overwrite it, or --file to write elsewhere");
    }

    let config: DeploymentConfigV1Input;
    if (values.preset) {
      const preset = findPreset(values.preset);
      if (!preset) throw new UsageError(`no preset named '${values.preset}' (presets: ${presets.map((p) => p.name).join(", ")})`);
      config = structuredClone(preset.config) as DeploymentConfigV1Input;
    } else {
      const interactive = Boolean(io.stdin.isTTY && io.stdout.isTTY) && !values.model;
      const answers = interactive ? await ask(io, values) : values;
      if (!answers.model) throw new UsageError("--model is required without a TTY (or use --preset)");
      const engine = answers.engine ?? "vllm";
      if (engine !== "vllm" && engine !== "sglang") throw new UsageError(`--engine must be vllm or sglang, not '${engine}'`);
      config = { version: 1, model: { id: answers.model }, engine: { kind: engine } };
      if (answers.gpu && !values.gpu) config.resources = { gpu: answers.gpu as string };
    }
    if (values.model && values.preset) (config.model as { id: string }).id = values.model;
    if (values.engine && values.preset) (config.engine as { kind: string }).kind = values.engine;
    if (values.name) config.name = values.name;
    if (values.gpu) config.resources = { ...(config.resources ?? {}), gpu: values.gpu };

    // Validate before writing anything: a bad flag leaves no half-made file behind.
    const result = validateConfig(config);
    if (!result.ok) {
      printIssues(io, result.issues, file);
      return EXIT.failure;
    }
    printIssues(io, result.warnings, file);
    await writeFileAtomic(path, HEADER + stringify(config, { lineWidth: 0 }));
    if (values.json) {
      io.stdout.write(`${JSON.stringify({ file: path, config: result.config }, null, 2)}\n`);
    } else {
      const s = styles(io, "stdout");
      io.stdout.write(`${s.green("✓")} wrote ${file}\n  next: rouse validate${file === "rouse.yaml" ? "" : ` ${file}`}, then rouse generate\n`);
    }
    return EXIT.ok;
  },
});

async function ask(io: Io0, values: Record<string, string | boolean | undefined>) {
  const rl = createInterface({ input: io.stdin, output: io.stdout });
  try {
    const question = async (q: string, fallback: string) => (await rl.question(`${q} [${fallback}]: `)).trim() || fallback;
    const model = await question("Model (Hugging Face id)", (values.model as string) ?? "Qwen/Qwen3-8B-FP8");
    const engine = await question("Engine (vllm|sglang)", (values.engine as string) ?? "vllm");
    const gpu = await question(`GPU (${GPU_TYPE_NAMES.join(", ")})`, (values.gpu as string) ?? "H100");
    return { ...values, model, engine, gpu } as { model: string; engine: string; gpu: string; name?: string };
  } finally {
    rl.close();
  }
}
type Io0 = Io;
