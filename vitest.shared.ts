import { defineConfig } from "vitest/config";

// Tests import sibling packages from source through the custom "@umqtt/source" export
// condition; vitest runs node tests in the SSR environment, so the condition goes there.
export default defineConfig({
  resolve: { conditions: ["@umqtt/source"] },
  ssr: { resolve: { conditions: ["@umqtt/source"] } },
  test: {
    testTimeout: 20_000,
    hookTimeout: 30_000,
  },
});
