import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { closest, didYouMean, editDistance } from "./suggest.ts";

describe("editDistance", () => {
  it("is a distance: zero only for equal strings, symmetric, at most the longer length", () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 12 }), fc.string({ maxLength: 12 }), (a, b) => {
        const d = editDistance(a, b);
        expect(d === 0).toBe(a === b);
        expect(editDistance(b, a)).toBe(d);
        expect(d).toBeLessThanOrEqual(Math.max(a.length, b.length));
        expect(d).toBeGreaterThanOrEqual(Math.abs(a.length - b.length));
      }),
    );
  });

  it("counts a swap of neighbours as one edit", () => {
    expect(editDistance("statsu", "status")).toBe(1);
    expect(editDistance("follow", "folow")).toBe(1);
    expect(editDistance("kitten", "sitting")).toBe(3);
  });
});

describe("closest", () => {
  const commands = ["init", "validate", "schema", "presets", "generate", "deploy", "status", "url", "logs", "stop"];

  it("names the command a typo meant", () => {
    expect(closest("statsu", commands)).toBe("status");
    expect(closest("depoly", commands)).toBe("deploy");
    expect(closest("valdiate", commands)).toBe("validate");
    expect(closest("log", commands)).toBe("logs");
    expect(closest("STOP", commands)).toBe("stop");
    expect(closest("dry", ["dry-run", "env"])).toBe("dry-run"); // the only one it starts
  });

  it("suggests nothing for input that is near nothing", () => {
    expect(closest("frobnicate", commands)).toBeUndefined();
    expect(closest("x", commands)).toBeUndefined();
    expect(closest("", commands)).toBeUndefined();
    expect(didYouMean("frobnicate", commands)).toBe("");
    expect(didYouMean("statsu", commands, (s) => `'${s}'`)).toBe(" (did you mean 'status'?)");
  });

  it("a suggestion is always one of the candidates, and an exact name suggests itself", () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 10 }), fc.subarray(commands, { minLength: 1 }), (input, names) => {
        const hit = closest(input, names);
        if (hit !== undefined) expect(names).toContain(hit);
        for (const name of names) expect(closest(name, names)).toBe(name);
      }),
    );
  });
});
