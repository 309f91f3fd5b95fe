import { defineConfig } from "vitest/config";

// As an installed plugin sees it: @rouse/engine-spec from its built dist/, no source condition.
export default defineConfig({
  test: { include: ["src/**/*.test.ts"], pool: "forks" },
});
