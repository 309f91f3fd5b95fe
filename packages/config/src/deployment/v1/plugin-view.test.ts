import type { DeploymentViewV1, PluginIssueV1 } from "@rouse/engine-spec";
import { conformanceConfigs } from "@rouse/engine-spec/conformance";
import { describe, expect, expectTypeOf, it } from "vitest";
import type { ConfigIssue } from "../issues.ts";
import { parseDeployment } from "../validate.ts";
import type { DeploymentConfigV1 } from "./schema.ts";

// Engine plugins see a config through @rouse/engine-spec's plain types, not this package's
// zod schema. These checks fail to compile (typecheck) or fail (test) when the two drift.

type Sections = Exclude<keyof DeploymentConfigV1, "version" | "name" | "env">;

describe("the plugin's view of a config (@rouse/engine-spec)", () => {
  it("a validated config is assignable to DeploymentViewV1, section by section", () => {
    expectTypeOf<DeploymentConfigV1>().toExtend<DeploymentViewV1>();
    // Same keys on both sides: a field added to the schema is added to the view too.
    expectTypeOf<keyof DeploymentConfigV1>().toEqualTypeOf<keyof DeploymentViewV1>();
    expectTypeOf<{ [S in Sections]: keyof DeploymentConfigV1[S] }>().toEqualTypeOf<{
      [S in Sections]: keyof DeploymentViewV1[S];
    }>();
  });

  it("a plugin's issue is a ConfigIssue and back (ConfigIssue only adds the source position)", () => {
    expectTypeOf<PluginIssueV1>().toExtend<ConfigIssue>();
    expectTypeOf<ConfigIssue>().toExtend<PluginIssueV1>();
    expectTypeOf<Exclude<keyof ConfigIssue, keyof PluginIssueV1>>().toEqualTypeOf<"line" | "column">();
  });

  for (const kind of ["vllm", "sglang"] as const) {
    it(`the conformance suite's ${kind} configs are valid and complete: parsing returns them unchanged`, () => {
      for (const [name, config] of Object.entries(conformanceConfigs(kind))) {
        expect(parseDeployment(config), name).toEqual(config);
      }
    });
  }
});
