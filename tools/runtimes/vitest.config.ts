import { defineProject, mergeConfig } from "vitest/config";
import shared from "../../vitest.shared.ts";

// Each test starts a runtime process (or a browser): they get more time than unit tests.
export default mergeConfig(
  shared,
  defineProject({ test: { name: "runtimes", testTimeout: 90_000, hookTimeout: 60_000 } }),
);
