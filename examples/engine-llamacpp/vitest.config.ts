import { defineConfig } from "vitest/config";

// Inside the rouse repository, @rouse/engine-spec resolves to its TypeScript source (the
// "@rouse/source" export condition), so nothing is built first. An installed copy
// resolves to its published dist/ without this.
export default defineConfig({
  resolve: { conditions: ["@rouse/source"] },
  ssr: { resolve: { conditions: ["@rouse/source"] } },
  test: { include: ["src/**/*.test.ts"], pool: "forks" },
});
