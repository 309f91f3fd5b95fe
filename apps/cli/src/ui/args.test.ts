import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { defineCommand, type LeafCommand } from "../commands/command.ts";
import { parseCommandArgs } from "./args.ts";
import { UsageError } from "./output.ts";

const passing = defineCommand({
  name: "logs",
  summary: "a command that hands what follows -- on",
  args: "[file]",
  passthrough: "FLAGS",
  options: {
    follow: { type: "boolean", short: "f", description: "follow" },
    tail: { type: "string", short: "n", value: "N", description: "tail" },
  },
  run: async () => 0,
});

const plain = defineCommand({
  name: "presets",
  summary: "a command with no positionals",
  options: { json: { type: "boolean", description: "json" } },
  run: async () => 0,
});

const parsed = (command: LeafCommand, args: string[]) => {
  const r = parseCommandArgs(command, args);
  if (r.help) throw new Error("expected a parse, got help");
  return r.parsed;
};
const usageError = (command: LeafCommand, args: string[]) => {
  try {
    parseCommandArgs(command, args);
  } catch (error) {
    expect(error).toBeInstanceOf(UsageError);
    return (error as Error).message;
  }
  throw new Error(`expected a usage error for ${args.join(" ")}`);
};

describe("parseCommandArgs", () => {
  it("parses declared long, short and grouped short options", () => {
    expect(parsed(passing, ["-f", "--tail", "5", "a.yaml"])).toEqual({
      values: { follow: true, tail: "5" },
      positionals: ["a.yaml"],
      passthrough: [],
    });
    expect(parsed(passing, ["-fn", "3"]).values).toEqual({ follow: true, tail: "3" });
    expect(parsed(passing, ["--tail=7"]).values).toEqual({ tail: "7" });
  });

  it("hands everything after the first -- on, unparsed, --help included", () => {
    const p = parsed(passing, ["-f", "--", "--help", "-h", "--", "--tail", "x"]);
    expect(p.values).toEqual({ follow: true });
    expect(p.passthrough).toEqual(["--help", "-h", "--", "--tail", "x"]);
    expect(parsed(passing, ["--"]).passthrough).toEqual([]);
  });

  it("any passthrough is handed on byte for byte", () => {
    fc.assert(
      fc.property(fc.array(fc.string(), { maxLength: 6 }), (rest) => {
        expect(parsed(passing, ["--", ...rest]).passthrough).toEqual(rest);
      }),
    );
  });

  it("-h / --help before -- asks for help, wherever it stands", () => {
    for (const args of [["--help"], ["-h"], ["-f", "--help"], ["a.yaml", "-h", "--", "x"], ["-fh"]])
      expect(parseCommandArgs(passing, args).help, args.join(" ")).toBe(true);
  });

  it("without a declared passthrough, -- only ends the options (a file named --help)", () => {
    const command = defineCommand({ ...passing, passthrough: undefined });
    expect(parsed(command, ["--", "--help"]).positionals).toEqual(["--help"]);
  });

  it("an unknown option is a usage error naming it and the closest declared one", () => {
    expect(usageError(passing, ["--folow"])).toBe("unknown option '--folow' (did you mean --follow?)");
    expect(usageError(passing, ["--tial", "3"])).toBe("unknown option '--tial' (did you mean --tail?)");
    expect(usageError(passing, ["--frobnicate"])).toBe("unknown option '--frobnicate'");
    expect(usageError(passing, ["-x"])).toBe("unknown option '-x'");
    expect(usageError(passing, ["-fx"])).toBe("unknown option '-x'");
  });

  it("a missing value, a value on a flag and a positional where none is declared are usage errors", () => {
    expect(usageError(passing, ["--tail"])).toMatch(/--tail/);
    expect(usageError(passing, ["--follow=yes"])).toMatch(/--follow/);
    expect(usageError(plain, ["extra"])).toMatch(/extra/);
  });

  it("reading an option the command did not declare throws (its help would not mention it)", () => {
    const values = parsed(passing, ["-f"]).values as Record<string, unknown>;
    expect(values.follow).toBe(true);
    expect(values.tail).toBeUndefined();
    expect(() => values.json).toThrow("rouse logs reads --json, which it does not declare in its options");
  });
});
