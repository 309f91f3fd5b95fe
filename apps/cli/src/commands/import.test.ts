import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { parse } from "yaml";
import { describe, expect, it } from "vitest";
import { main } from "../main.ts";
import { memoryIo } from "../test/io.ts";
import { tmp } from "../test/processes.ts";

const run = async (args: string[], cwd: string) => {
  const m = memoryIo(cwd);
  const code = await main(args, m.io);
  return { code, out: m.out(), err: m.err() };
};

const seed = readFileSync(join(import.meta.dirname, "../../../../packages/config/src/import/__fixtures__/seed003-config.yaml"), "utf8");

describe("rouse import", () => {
  it("detects a seed-003 config.yaml, prints the mapping report and writes a valid rouse.yaml", async () => {
    const dir = tmp();
    writeFileSync(join(dir, "config.yaml"), `${seed}\n`.replace("service:\n", "service:\n  region: us-east\n"));
    const r = await run(["import", "config.yaml"], dir);
    expect(r.code, r.err).toBe(0);
    expect(r.out).toContain("seed003:");
    expect(r.out).toContain("service.scaledown_window → scaling.scaledownWindow");
    expect(r.out).toContain("service.region → scaling.region");
    expect(r.out).toContain("service.autoscaler_magic: no rouse equivalent");
    const written = parse(readFileSync(join(dir, "rouse.yaml"), "utf8"));
    expect(written.scaling.region).toBe("us-east");
    expect((await run(["validate", "--quiet"], dir)).code).toBe(0);
    // It never replaces a file without --force.
    const again = await run(["import", "config.yaml"], dir);
    expect(again.code).toBe(1);
    expect(again.err).toContain("rouse.yaml exists");
    expect((await run(["import", "config.yaml", "--force", "--json"], dir)).code).toBe(0);
  });

  it("--format seed003 forces the format; unknown formats and non-configs are refused", async () => {
    const dir = tmp();
    writeFileSync(join(dir, "odd.yaml"), "model: { name: org/m }\n");
    expect((await run(["import", "odd.yaml"], dir)).err).toContain("no format rouse can import");
    const forced = await run(["import", "odd.yaml", "--format", "seed003", "--stdout"], dir);
    expect(forced.code, forced.err).toBe(0);
    expect(parse(forced.out).model.id).toBe("org/m");
    expect((await run(["import", "odd.yaml", "--format", "nope"], dir)).code).toBe(2);
  });

  it("escapes terminal control sequences from the input in what it prints", async () => {
    const dir = tmp();
    writeFileSync(join(dir, "c.yaml"), 'model: { name: org/m }\nservice: { "\\e]0;pwned\\a\\e[2J": 1 }\n');
    const r = await run(["import", "c.yaml", "--stdout"], dir);
    expect(r.out + r.err).not.toMatch(/[\u001b\u0007]/);
    expect(r.err).toContain("\\x1b]0;pwned\\x07");
  });
});
