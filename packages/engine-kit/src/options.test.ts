import { describe, expect, it } from "vitest";
import { z } from "zod";
import { readEngineOptions } from "./options.ts";

describe("readEngineOptions", () => {
  const shape = { logLevel: z.enum(["info", "debug"]), batch: z.number().int() };

  it("keeps valid options and warns about unknown keys (with a guess) and bad values", () => {
    const { options, warnings } = readEngineOptions("demo", shape, {
      logLevel: "debug",
      batch: "x",
      logLevl: "info",
      zzz: 1,
    });
    expect(options).toEqual({ logLevel: "debug" });
    expect(warnings.map((w) => [w.code, w.field])).toEqual([
      ["invalid_option", "engine.options.demo.batch"],
      ["unknown_option", "engine.options.demo.logLevl"],
      ["unknown_option", "engine.options.demo.zzz"],
    ]);
    expect(warnings[1]!.message).toContain("did you mean 'logLevel'");
  });

  it("is empty for no slice", () => {
    expect(readEngineOptions("demo", shape, undefined)).toEqual({ options: {}, warnings: [] });
  });
});
