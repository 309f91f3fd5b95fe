import { describe, expect, it } from "vitest";
import { compareVersions, versionAtLeast } from "./version.ts";

describe("compareVersions", () => {
  it("orders releases numerically, with pre- and post-releases around their base", () => {
    const sorted = [
      "0.5.14",
      "0.5.6.post2",
      "0.5.6",
      "0.5.10rc0",
      "0.5.10",
      "0.13.0",
      "0.9.1",
      "0.5.6rc1",
    ].sort(compareVersions);
    expect(sorted).toEqual([
      "0.5.6rc1",
      "0.5.6",
      "0.5.6.post2",
      "0.5.10rc0",
      "0.5.10",
      "0.5.14",
      "0.9.1",
      "0.13.0",
    ]);
    expect(versionAtLeast("0.5.23", "0.5.14")).toBe(true);
    expect(versionAtLeast("0.5.6.post2", "0.5.14")).toBe(false);
    expect(compareVersions("1.0", "1.0.0")).toBe(0);
  });
});
