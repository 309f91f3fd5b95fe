import { mergeConfig } from "vitest/config";
import { sharedTestConfig } from "../../vitest.shared.ts";

// Golden files (src/__golden__) are written only by `vitest run -u` (`pnpm golden:update`):
// "none" makes a missing golden file a failure locally too, not just in CI.
export default mergeConfig(sharedTestConfig, { test: { update: "none" } });
