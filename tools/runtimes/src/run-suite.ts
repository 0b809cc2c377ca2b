/**
 * Runs the smoke suite (src/run.mjs) in a child runtime and collects its JSON lines. The
 * child's whole output is kept so a failing test can show it.
 */
import { spawn } from "node:child_process";
import { packageDir, type Runtime } from "./runtimes.ts";

/** One step's report, as src/smoke.mjs writes it. */
export interface StepResult {
  step: string;
  ok: boolean;
  ms?: number;
  detail?: unknown;
  error?: string;
}

/** The child's result: its steps, exit status, and everything it printed. */
export interface SuiteRun {
  steps: StepResult[];
  done: { ok: boolean; globalWebSocket: boolean } | undefined;
  exitCode: number | null;
  signal: NodeJS.Signals | null;
  output: string;
  ms: number;
}

/** What run.mjs needs: where the broker is, how to reach the harness, a topic prefix. */
export interface SuiteConfig {
  server: string;
  options: Record<string, unknown>;
  control: string;
  prefix: string;
  webSocketPackage?: boolean;
  /** "refuse": the untrusted-certificate check instead of the smoke suite. */
  mode?: "smoke" | "refuse";
}

/** How to start the child beyond the suite's config. */
export interface SpawnOptions {
  /** Added to the child's environment (e.g. a CA for the runtime's trust store). */
  env?: Record<string, string>;
  /** Safety net: the child is killed after this long (the suite times its own steps). */
  timeoutMs?: number;
}

/** Spawns `runtime` on run.mjs and collects what it reports. */
export function runSuite(runtime: Runtime, config: SuiteConfig, spawnOptions: SpawnOptions = {}) {
  const { timeoutMs = 60_000 } = spawnOptions;
  const started = Date.now();
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    DENO_NO_UPDATE_CHECK: "1",
    NO_COLOR: "1",
    ...spawnOptions.env,
  };
  // The test runner's own loader flags are not the user's.
  delete env.NODE_OPTIONS;
  const child = spawn(runtime.bin!, [...runtime.args, "src/run.mjs", JSON.stringify(config)], {
    cwd: packageDir,
    env,
    stdio: ["ignore", "pipe", "pipe"],
  });
  let output = "";
  child.stdout.setEncoding("utf8").on("data", (s: string) => {
    output += s;
  });
  child.stderr.setEncoding("utf8").on("data", (s: string) => {
    output += s;
  });
  const timer = setTimeout(() => {
    output += `\n[harness] killed after ${timeoutMs} ms (did not exit)\n`;
    child.kill("SIGKILL");
  }, timeoutMs);
  return new Promise<SuiteRun>((resolve, reject) => {
    child.once("error", (err) => {
      clearTimeout(timer);
      reject(err);
    });
    child.once("close", (exitCode, signal) => {
      clearTimeout(timer);
      const steps: StepResult[] = [];
      let done: SuiteRun["done"];
      for (const line of output.split("\n")) {
        if (!line.startsWith("{")) continue;
        try {
          const parsed = JSON.parse(line);
          if (parsed.done) done = parsed;
          else if (typeof parsed.step === "string") steps.push(parsed);
        } catch {
          // Not one of ours; it stays in `output`.
        }
      }
      resolve({ steps, done, exitCode, signal, output, ms: Date.now() - started });
    });
  });
}

/** The steps every run must pass, in order. */
export const SMOKE_STEPS = ["connect", "qos0", "qos1", "reconnect"];

/** Throws, with the runtime's output, unless every step passed and the child exited cleanly. */
export function assertPassed(
  what: string,
  run: Pick<SuiteRun, "steps" | "output"> & Partial<SuiteRun>,
  expected: string[] = SMOKE_STEPS,
) {
  const names = run.steps.map((s) => s.step);
  const failed = run.steps.filter((s) => !s.ok);
  const problems = [
    ...failed.map((s) => `step ${s.step} failed: ${s.error}`),
    ...(names.join() === expected.join() ? [] : [`steps run: [${names}], expected [${expected}]`]),
    ...("exitCode" in run && run.exitCode !== 0
      ? [`exit code ${run.exitCode} (signal ${run.signal})`]
      : []),
    ...("done" in run && !run.done?.ok ? ["no successful final line"] : []),
  ];
  if (problems.length > 0) {
    throw new Error(`${what}:\n  ${problems.join("\n  ")}\n--- output ---\n${run.output}`);
  }
}
