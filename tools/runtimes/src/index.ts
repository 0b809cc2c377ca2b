export { type BrowserBundle, bundleForBrowser } from "./bundle.ts";
export { launchChromium } from "./chromium.ts";
export { type SmokeBroker, type StaticFile, startSmokeBroker } from "./harness.ts";
export {
  assertPassed,
  runSuite,
  SMOKE_STEPS,
  type StepResult,
  type SuiteConfig,
  type SuiteRun,
} from "./run-suite.ts";
export {
  chromiumPath,
  packageDir,
  type Runtime,
  repoRoot,
  runtimesDir,
  serverRuntimes,
  TRANSPORTS,
  type TransportName,
  versionOf,
} from "./runtimes.ts";
