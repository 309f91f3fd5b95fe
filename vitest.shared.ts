import { defineConfig } from "vitest/config";

// Every package's tests resolve workspace packages from source (the
// "@rouse/source" export condition), so no build is needed before testing.
export const sharedTestConfig = defineConfig({
  resolve: { conditions: ["@rouse/source"] },
  ssr: { resolve: { conditions: ["@rouse/source"] } },
  test: {
    include: ["src/**/*.test.ts", "test/**/*.test.ts"],
    testTimeout: 20_000,
    // expect.poll waits for something to happen (a page to render, a counter to move); vitest's
    // 1 s default is short on a loaded 2-core CI machine. No poll here is a claim about speed,
    // and a poll ends as soon as the value is right.
    expect: { poll: { timeout: 10_000 } },
    pool: "forks",
  },
});
