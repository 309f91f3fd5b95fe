// Every option a command reads is one it declares: TypeScript refuses `values.x` for an
// undeclared x, parseCommandArgs throws when one is read at run time, and this test reads
// the sources, so an option read through a cast or `any` cannot hide from `--help`.
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { leaves } from "../ui/help.ts";
import { type Command, isGroup, type LeafCommand } from "./command.ts";
import { commands } from "./index.ts";

const dir = import.meta.dirname;
const sources = readdirSync(dir).filter((f) => f.endsWith(".ts") && !f.endsWith(".test.ts"));

/** The option names a source reads: `values.x`, `values["x-y"]`, `values?.x`. */
export function optionsRead(source: string): string[] {
  const reads = source.matchAll(/\bvalues(?:\??\.([A-Za-z_$][\w$]*)|(?:\?\.)?\[\s*["'`]([^"'`]+)["'`]\s*\])/g);
  return [...new Set([...reads].map((m) => m[1] ?? m[2]!))];
}

async function commandsOf(file: string): Promise<LeafCommand[]> {
  const module = (await import(join(dir, file))) as Record<string, unknown>;
  const declared = Object.values(module).filter(
    (v): v is Command => typeof v === "object" && v !== null && "name" in v && "summary" in v,
  );
  return declared.flatMap((c) => (isGroup(c) ? [] : [c]));
}

describe("option declarations", () => {
  it("finds reads in every spelling", () => {
    expect(optionsRead(`values.json; values["modal-bin"]; values?.app; values['x'] ; other.values2`)).toEqual([
      "json",
      "modal-bin",
      "app",
      "x",
    ]);
  });

  it("every option a command's source reads is declared by a command in that file", async () => {
    for (const file of sources) {
      const read = optionsRead(readFileSync(join(dir, file), "utf8"));
      if (read.length === 0) continue;
      const declared = new Set((await commandsOf(file)).flatMap((c) => Object.keys(c.options)));
      expect(declared.size, `${file} reads options but declares no command`).toBeGreaterThan(0);
      for (const name of read) expect(declared, `${file} reads --${name} without declaring it`).toContain(name);
    }
  });

  it("every command in the CLI is declared in one of those files, with no duplicate flag", async () => {
    const found = (await Promise.all(sources.map(commandsOf))).flat();
    for (const { path, command } of leaves(commands)) {
      expect(found, path).toContain(command);
      const shorts = Object.values(command.options).flatMap((o) => (o.short ? [o.short] : []));
      expect(new Set(shorts).size, `${path}: a short flag used twice`).toBe(shorts.length);
      expect(shorts, `${path}: -h is help`).not.toContain("h");
      expect(Object.keys(command.options), `${path}: --help is built in`).not.toContain("help");
      for (const [name, o] of Object.entries(command.options)) {
        expect(o.description.trim(), `${path} --${name} has no description`).not.toBe("");
        if (o.type === "string") expect(o.value, `${path} --${name} has no value placeholder`).toMatch(/^[A-Z]/);
      }
    }
  });
});
