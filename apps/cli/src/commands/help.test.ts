import { describe, expect, it } from "vitest";
import { main } from "../main.ts";
import { memoryIo } from "../test/io.ts";
import { leaves, optionLabel } from "../ui/help.ts";
import { commands } from "./index.ts";

const run = async (argv: string[]) => {
  const m = memoryIo("/");
  const code = await main(argv, m.io);
  return { code, out: m.out(), err: m.err() };
};

describe("help", () => {
  it("every command answers --help, -h and `rouse help` with the same usage", async () => {
    for (const { path } of leaves(commands)) {
      const words = path.split(" ");
      const long = await run([...words, "--help"]);
      expect(long.code).toBe(0);
      expect(long.out).toMatch(new RegExp(`^Usage: rouse ${path}\\b`));
      expect((await run([...words, "-h"])).out).toBe(long.out);
      expect((await run(["help", ...words])).out).toBe(long.out);
      // --help wins over anything else before it, even an option missing its value
      expect((await run([...words, "--json", "--help"])).out).toBe(long.out);
    }
    const bench = await run(["help", "bench"]);
    expect(bench.code).toBe(0);
    expect(bench.out).toContain("load");
    expect(bench.out).toContain("coldstart");
    expect((await run(["bench", "--help"])).out).toBe(bench.out);
  });

  it("every declared option is in its command's help, aligned in one column", async () => {
    for (const { path, command } of leaves(commands)) {
      const { out } = await run([...path.split(" "), "--help"]);
      const options = out.slice(out.indexOf("\nOptions:\n") + 10).split("\n\n")[0]!.split("\n");
      const column = new Set<number>();
      for (const [name, option] of [...Object.entries(command.options), ["help", { type: "boolean", short: "h" }]] as const) {
        const label = optionLabel(name, option as never);
        const line = options.find((l) => l.startsWith(`  ${label}  `));
        expect(line, `${path}: ${label} missing from\n${out}`).toBeDefined();
        column.add(2 + label.length + line!.slice(2 + label.length).search(/\S/));
      }
      expect(column.size, `${path}: option descriptions start in ${column.size} columns`).toBe(1);
    }
  });

  it("rouse --help lists every command and subcommand with its summary", async () => {
    const { code, out } = await run(["--help"]);
    expect(code).toBe(0);
    for (const { path, command } of leaves(commands)) expect(out).toMatch(new RegExp(`\\n  ${path} +${command.summary.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}\\n`));
    expect((await run([])).code).toBe(2);
  });

  it("an unknown command, subcommand or option says what was probably meant, exit 2", async () => {
    const cases: [string[], string][] = [
      [["statsu"], "rouse: unknown command 'statsu' (did you mean 'status'?)"],
      [["help", "depoly"], "rouse: unknown command 'depoly' (did you mean 'deploy'?)"],
      [["bench", "lod"], "rouse bench: unknown subcommand 'lod' (did you mean 'load'?)"],
      [["logs", "--folow"], "rouse logs: unknown option '--folow' (did you mean --follow?)"],
      [["deploy", "--dry-rn"], "rouse deploy: unknown option '--dry-rn' (did you mean --dry-run?)"],
      [["bench", "load", "--concurency", "2"], "rouse bench load: unknown option '--concurency' (did you mean --concurrency?)"],
      [["frobnicate"], "rouse: unknown command 'frobnicate'\n"],
    ];
    for (const [argv, message] of cases) {
      const r = await run(argv);
      expect(r.code, argv.join(" ")).toBe(2);
      expect(r.err, argv.join(" ")).toContain(message);
      expect(r.out).toBe("");
    }
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
