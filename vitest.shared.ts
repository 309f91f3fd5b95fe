import { defineConfig } from "vitest/config";

// Every package's tests resolve workspace packages from source (the
// "@rouse/source" export condition), so no build is needed before testing.
export const sharedTestConfig = defineConfig({
  resolve: { conditions: ["@rouse/source"] },
  ssr: { resolve: { conditions: ["@rouse/source"] } },
  test: {
    include: ["src/**/*.test.ts", "test/**/*.test.ts"],
    testTimeout: 20_000,
    pool: "forks",
  },
});
