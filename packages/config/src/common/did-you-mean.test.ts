import { describe, expect, it } from "vitest";
import { didYouMean, editDistance } from "./did-you-mean.ts";

describe("didYouMean", () => {
  it("computes edit distance", () => {
    expect(editDistance("kitten", "sitting")).toBe(3);
    expect(editDistance("", "abc")).toBe(3);
  });
  it("suggests close keys, ignoring case, dashes and underscores", () => {
    expect(didYouMean("maxInput", ["maxInputs", "minContainers"])).toBe("maxInputs");
    expect(didYouMean("max_inputs", ["maxInputs", "timeout"])).toBe("maxInputs");
    expect(didYouMean("scaledown_window", ["scaledownWindow"])).toBe("scaledownWindow");
  });
  it("stays quiet when nothing is close", () => {
    expect(didYouMean("banana", ["maxInputs", "timeout"])).toBeUndefined();
  });
});
