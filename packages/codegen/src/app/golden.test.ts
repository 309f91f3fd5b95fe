import { presets } from "@rouse/config";
import { describe, expect, it } from "vitest";
import { scenarios } from "../__fixtures__/scenarios.ts";
import { render } from "../__fixtures__/render.ts";

// One golden app.py per preset and scenario, in src/__golden__/. They change only through
// `pnpm --filter @rouse/codegen golden:update` (vitest -u): the config sets `update: "none"`,
// so a missing or different file fails the run, locally as in CI. Review the diff like code.

const cases: Array<[string, unknown]> = [
  ...presets.map((p) => [p.name, p.config] as [string, unknown]),
  ...Object.entries(scenarios),
];

describe("golden apps", () => {
  for (const [name, config] of cases) {
    it(name, async () => {
      const app = render(config);
      await expect(app.source).toMatchFileSnapshot(`../__golden__/${name}.py`);
    });
  }
  // The default preset as a plugin whose server runs no ASGI middleware gets it: the proxy guard.
  it("proxy-guard-default", async () => {
    const app = render(presets.find((p) => p.name === "default")!.config, { proxied: true });
    await expect(app.source).toMatchFileSnapshot("../__golden__/proxy-guard-default.py");
  });
});
