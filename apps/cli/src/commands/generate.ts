import { existsSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { resolve } from "node:path";
import { defaultAppPath, generateFor, shown } from "../app/generate-app.ts";
import { loadConfig } from "../config-source.ts";
import { writeFileAtomic } from "../fs-atomic.ts";
import { CliError, EXIT, styles, UsageError, writeJson } from "../ui/output.ts";
import { defineCommand } from "./command.ts";
import * as shared from "./options.ts";

export const generateCommand = defineCommand({
  name: "generate",
  summary: "write the Python Modal app for a rouse.yaml",
  args: "[rouse.yaml]",
  description: `Generates the self-contained Python Modal app for a config (default ./rouse.yaml)
with @rouse/codegen and the config's engine plugin. The same config always gives
the same bytes. The file is replaced atomically.`,
  options: {
    preset: shared.preset,
    out: {
      type: "string",
      short: "o",
      value: "FILE",
      description: "where to write (default .rouse/<name>/app.py, where `rouse deploy` puts it)",
    },
    stdout: { type: "boolean", description: "print the source instead of writing a file" },
    check: {
      type: "boolean",
      description:
        'write nothing; exit 1 if FILE is missing or differs from what\nwould be generated (for CI: "did someone forget to regenerate?")',
    },
    json: shared.json('print {"file", "changed", "endpoint", "warnings"} instead of a message'),
  },
  footer: "Exit codes: 0 written / up to date, 1 invalid config or --check found a difference, 2 usage.",
  async run({ values, positionals }, io) {
    if (positionals.length > 1) throw new UsageError(`one config file at most, got ${positionals.length}`);
    if (values.stdout && (values.check || values.out))
      throw new UsageError("--stdout cannot be combined with --check or --out");
    // Quiet: generateFor reports the config's warnings with the app's, once.
    const loaded = await loadConfig(io, positionals[0], values.preset, true);
    const app = generateFor(io, loaded);

    if (values.stdout) {
      io.stdout.write(app.source);
      return EXIT.ok;
    }
    const path = values.out ? resolve(io.cwd, values.out) : defaultAppPath(io.cwd, loaded.config.name);
    const file = shown(io.cwd, path);
    const current = existsSync(path) ? await readFile(path, "utf8") : undefined;
    const changed = current !== app.source;
    const s = styles(io, "stdout");
    const report = {
      file: path,
      changed,
      endpoint: app.endpoint,
      warnings: app.warnings,
    };

    if (values.check) {
      if (values.json) writeJson(io, { ...report, ok: !changed });
      if (!changed) {
        if (!values.json) io.stdout.write(`${s.green("✓")} ${file} is up to date with ${loaded.source}\n`);
        return EXIT.ok;
      }
      throw new CliError(
        current === undefined
          ? `${file} does not exist`
          : `${file} differs from what ${loaded.source} generates`,
        `run \`rouse generate${positionals[0] ? ` ${positionals[0]}` : ""}${values.preset ? ` --preset ${values.preset}` : ""}${values.out ? ` -o ${values.out}` : ""}\``,
      );
    }

    if (changed) await writeFileAtomic(path, app.source);
    if (values.json) {
      writeJson(io, report);
    } else {
      io.stdout.write(
        `${s.green("✓")} ${changed ? "wrote" : "unchanged:"} ${file}  ${s.dim(`(${loaded.source}, ${app.source.split("\n").length} lines)`)}\n`,
      );
      io.stdout.write(
        `  next: rouse deploy${positionals[0] ? ` ${positionals[0]}` : ""}   (or: modal deploy ${file})\n`,
      );
    }
    return EXIT.ok;
  },
});
