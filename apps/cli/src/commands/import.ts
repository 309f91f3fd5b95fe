import { existsSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { resolve } from "node:path";
import { decodeUtf8, importSeed003Config, looksLikeSeed003, printable } from "@rouse/config";
import { parse as parseYaml, stringify } from "yaml";
import { validateConfig } from "@rouse/engines";
import { writeFileAtomic } from "../fs-atomic.ts";
import { CliError, EXIT, printIssues, styles, UsageError, writeJson } from "../ui/output.ts";
import { defineCommand } from "./command.ts";
import * as shared from "./options.ts";

/** Config formats rouse can import, each with how to recognise it. */
const FORMATS = {
  seed003: {
    description: "the config.yaml of the vLLM sleep-mode + Modal snapshots repo (seed 003)",
    detect: looksLikeSeed003,
    convert: importSeed003Config,
  },
} as const;
type Format = keyof typeof FORMATS;

export const importCommand = defineCommand({
  name: "import",
  summary: "convert another tool's config into a rouse.yaml, with a mapping report",
  args: "<config.yaml>",
  description: `Reads another tool's config, writes the equivalent rouse.yaml, and prints where
every key went (and which keys have no rouse equivalent). The result is validated
like \`rouse validate\` does.

Formats (detected from the content unless --format is given):
${Object.entries(FORMATS)
  .map(([name, f]) => `  ${name.padEnd(9)} ${f.description}`)
  .join("\n")}`,
  options: {
    format: { type: "string", value: "NAME", description: "the input's format" },
    out: { type: "string", short: "o", value: "FILE", description: "where to write (default rouse.yaml)" },
    force: { type: "boolean", description: "replace FILE if it exists" },
    stdout: { type: "boolean", description: "print the rouse.yaml instead of writing it" },
    json: shared.json('print {"format", "file", "config", "mapped", "unmapped", "issues"}'),
  },
  footer: "Exit codes: 0 imported (warnings allowed), 1 unreadable input or invalid result, 2 usage.",
  async run({ values, positionals }, io) {
    if (positionals.length !== 1) throw new UsageError("give one config file to import");
    if (values.format !== undefined && !Object.hasOwn(FORMATS, values.format)) {
      throw new UsageError(`unknown --format '${printable(values.format, 40)}'; known: ${Object.keys(FORMATS).join(", ")}`);
    }
    const input = positionals[0]!;
    const path = resolve(io.cwd, input);
    if (!existsSync(path)) throw new CliError(`${input} not found`);
    const decoded = decodeUtf8(await readFile(path));
    if (!decoded.ok) {
      throw new CliError(`${input}:${decoded.line}:${decoded.column}: byte ${decoded.offset} is not valid UTF-8`, "save the file as UTF-8");
    }
    let data: unknown;
    try {
      data = parseYaml(decoded.text, { maxAliasCount: 100 });
    } catch (error) {
      throw new CliError(`${input} is not valid YAML: ${(error as Error).message.split("\n")[0]}`);
    }
    const format = (values.format ?? Object.entries(FORMATS).find(([, f]) => f.detect(data))?.[0]) as Format | undefined;
    if (!format) {
      throw new CliError(
        `${input} is in no format rouse can import`,
        `formats: ${Object.keys(FORMATS).join(", ")} (give --format to force one)`,
      );
    }
    let report: ReturnType<(typeof FORMATS)[Format]["convert"]>;
    try {
      report = FORMATS[format].convert(data);
    } catch (error) {
      throw new CliError(`${input} is not a ${format} config: ${(error as Error).message}`);
    }
    const result = validateConfig(report.config);
    const issues = result.ok ? result.warnings : result.issues;
    const yaml = `# Imported by \`rouse import\` from ${input} (${format}).\n${stringify(report.config, { lineWidth: 0 })}`;
    const out = values.out ?? "rouse.yaml";
    const outPath = resolve(io.cwd, out);

    if (values.json) {
      writeJson(io, { format, file: values.stdout || !result.ok ? null : outPath, config: report.config, mapped: report.mapped, unmapped: report.unmapped, issues });
    }
    const s = styles(io, "stdout");
    if (!values.json) {
      // With --stdout the YAML owns stdout; the report goes to stderr.
      const w = values.stdout ? io.stderr : io.stdout;
      w.write(`${format}: ${report.mapped.length} key${report.mapped.length === 1 ? "" : "s"} mapped\n`);
      for (const m of report.mapped) {
        w.write(`  ${printable(m.from)} → ${printable(m.to)}${m.note ? s.dim(`  (${printable(m.note)})`) : ""}\n`);
      }
      for (const u of report.unmapped) w.write(`  ${s.yellow(`${printable(u.from)}: ${u.reason}`)}\n`);
    }
    printIssues(io, issues, out);
    if (!result.ok) {
      throw new CliError(`the imported config is invalid`, "fix the input (or edit the result) and import again");
    }
    if (values.stdout) {
      io.stdout.write(yaml);
      return EXIT.ok;
    }
    if (existsSync(outPath) && !values.force) throw new CliError(`${out} exists`, "pass --force to replace it, or -o another file");
    await writeFileAtomic(outPath, yaml);
    if (!values.json) io.stdout.write(`${s.green("✓")} wrote ${out}\n  next: rouse validate${out === "rouse.yaml" ? "" : ` ${out}`}, then rouse generate\n`);
    return EXIT.ok;
  },
});
