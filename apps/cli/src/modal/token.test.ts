import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { tmp } from "../test/processes.ts";
import { findToken, parseModalToml } from "./token.ts";

describe("where a Modal token comes from (as modal 1.6.4's config.py reads it)", () => {
  it("environment first, then the active profile of ~/.modal.toml (or MODAL_PROFILE, or default)", () => {
    expect(findToken({ MODAL_TOKEN_ID: "a", MODAL_TOKEN_SECRET: "b", HOME: "/nonexistent" }).configured).toBe(
      true,
    );
    const home = tmp();
    expect(findToken({ HOME: home })).toMatchObject({
      configured: false,
      detail: expect.stringContaining(".modal.toml"),
    });
    writeFileSync(
      join(home, ".modal.toml"),
      '[one]\ntoken_id = "ak-1"\ntoken_secret = "as-1"\n\n[two]\ntoken_id = "ak-2"\nactive = true\n',
    );
    expect(findToken({ HOME: home })).toMatchObject({
      configured: false,
      profile: "two",
      detail: expect.stringContaining("has no token_id/token_secret"),
    });
    expect(findToken({ HOME: home, MODAL_PROFILE: "one" })).toMatchObject({
      configured: true,
      profile: "one",
    });
    expect(findToken({ HOME: home, MODAL_PROFILE: "three" })).toMatchObject({
      configured: false,
      detail: expect.stringContaining("no profile 'three'"),
    });
    const other = join(tmp(), "modal.toml");
    writeFileSync(other, "[default]\ntoken_id = 'ak'\ntoken_secret = 'as' # comment\n");
    expect(findToken({ HOME: home, MODAL_CONFIG_PATH: other })).toMatchObject({
      configured: true,
      profile: "default",
    });
  });

  it("parses the TOML subset .modal.toml uses", () => {
    expect(
      parseModalToml('# c\n["my-ws"]\ntoken_id = "x"\nactive = true\nloglevel = "debug"  # trailing\n'),
    ).toEqual({
      "my-ws": { token_id: "x", active: true, loglevel: "debug" },
    });
  });
});
