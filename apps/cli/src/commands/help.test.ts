import { describe, expect, it } from "vitest";
import { main } from "../main.ts";
import { memoryIo } from "../test/io.ts";
import { commands } from "./index.ts";

describe("help", () => {
  it("every command answers --help with its usage, and rouse --help lists them all", async () => {
    for (const command of commands) {
      const m = memoryIo("/");
      expect(await main([command.name, "--help"], m.io)).toBe(0);
      expect(m.out()).toContain(`Usage: rouse ${command.name}`);
    }
    const m = memoryIo("/");
    expect(await main(["--help"], m.io)).toBe(0);
    for (const command of commands) expect(m.out()).toContain(`  ${command.name} `);
    const bench = memoryIo("/");
    expect(await main(["bench", "coldstart", "--help"], bench.io)).toBe(0);
    expect(bench.out()).toContain("Usage: rouse bench coldstart");
  });

  it("the flow's commands are all there", () => {
    expect(commands.map((c) => c.name)).toEqual([
      "init",
      "import",
      "validate",
      "schema",
      "presets",
      "generate",
      "deploy",
      "status",
      "url",
      "logs",
      "scale",
      "stop",
      "serve",
      "probe",
      "chat",
      "bench",
    ]);
  });
});
