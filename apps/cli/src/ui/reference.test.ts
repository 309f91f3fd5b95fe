import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { commands } from "../commands/index.ts";
import { leaves, optionLabel, referenceTable } from "./help.ts";
import { END, referenceFiles, START, withReference } from "./reference.ts";

describe("the README's CLI reference", () => {
  it("is what the declarations make (else: pnpm --filter @rouse/cli docs:readme)", () => {
    for (const url of referenceFiles) {
      const text = readFileSync(url, "utf8");
      expect(text, `${url.pathname} drifted from the command declarations`).toBe(withReference(text, commands));
    }
  });

  it("has a row for every command with every declared option", () => {
    const table = referenceTable(commands);
    for (const { path, command } of leaves(commands)) {
      const row = table.split("\n").find((r) => r.startsWith(`| \`rouse ${path}`));
      expect(row, path).toBeDefined();
      for (const [name, o] of Object.entries(command.options)) expect(row).toContain(`\`${optionLabel(name, o).trim()}\``);
    }
  });

  it("a changed declaration changes the README text (the drift check can fail)", () => {
    const text = readFileSync(referenceFiles[0]!, "utf8");
    const [first, ...rest] = commands;
    const renamed = [{ ...first!, summary: `${first!.summary} (changed)` }, ...rest];
    expect(withReference(text, renamed)).not.toBe(text);
  });

  it("refuses a file without the markers instead of writing half a table", () => {
    expect(() => withReference("# no markers", commands)).toThrow("markers");
    expect(() => withReference(`${END}\n${START}`, commands)).toThrow("markers");
  });
});
