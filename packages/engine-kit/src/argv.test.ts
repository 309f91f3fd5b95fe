import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { flagValue, plainValue } from "./argv.ts";

describe("flagValue", () => {
  it("joins flag and value with the first '=' whatever the value holds", () => {
    fc.assert(
      fc.property(fc.string(), (value) => {
        const element = flagValue("--api-key", value);
        const at = element.indexOf("=");
        expect(element.slice(0, at)).toBe("--api-key");
        expect(element.slice(at + 1)).toBe(value);
      }),
    );
  });
  it("refuses anything that is not a long flag", () => {
    for (const flag of ["-q", "api-key", "--", "--a b", "--x=y"]) expect(() => flagValue(flag, "v")).toThrow(/long flag/);
  });
});

describe("plainValue", () => {
  it("passes values that cannot be read as a flag and refuses the rest", () => {
    expect(plainValue("model", "Qwen/Qwen3-8B")).toBe("Qwen/Qwen3-8B");
    expect(() => plainValue("served name", "-llm")).toThrow(/served name '-llm' starts with '-'/);
  });
});
