import { defineConfig } from "vitest/config";

// Every package's tests resolve workspace packages from source (the
// "@thaw/source" export condition), so no build is needed before testing.
export const sharedTestConfig = defineConfig({
  resolve: { conditions: ["@thaw/source"] },
  ssr: { resolve: { conditions: ["@thaw/source"] } },
  test: {
    include: ["src/**/*.test.ts", "test/**/*.test.ts"],
    testTimeout: 20_000,
    pool: "forks",
  },
});
