import { defineConfig } from "vitest/config";

// Tests import sibling packages from source through the custom "@umqtt/source" export
// condition; vitest runs node tests in the SSR environment, so the condition goes there.
// In CI each package also writes a JSON report that .ci/run sums into one closing line.
export default defineConfig({
  resolve: { conditions: ["@umqtt/source"] },
  ssr: { resolve: { conditions: ["@umqtt/source"] } },
  test: {
    testTimeout: 20_000,
    hookTimeout: 30_000,
    reporters: process.env.CI
      ? ["default", ["json", { outputFile: "test-results.json" }]]
      : ["default"],
  },
});
